import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadTokenBudgetConfig, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { get, startApp } from './fixtures/create-app';
import { TierTestController } from './fixtures/tier-test.controller';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'libs/token-budget/bin/token-budget.js');
const fixture = (name: string) => `test/fixtures/config/${name}`;

/** Runs the built bin the way npx does (node + the file in package.json's "bin"). */
function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function configModules(file: string) {
  return [
    ConfigModule.forRoot({ load: [loadTokenBudgetConfig(file)], ignoreEnvFile: true }),
    TokenBudgetModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        ...config.getOrThrow<TokenBudgetModuleOptions>('tokenBudget'),
        extractUserId: (req) => req.headers['x-user'],
      }),
    }),
  ];
}

beforeAll(() => {
  // the CLI under test is the built one: build the library as `npm run build` does
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
}, 120_000);

describe('token-budget validate-config (the built bin)', () => {
  it('is the package bin', () => {
    // a committed shim, not dist/: npm links a workspace bin at install time only if its file exists
    expect(require(join(ROOT, 'libs/token-budget/package.json')).bin).toEqual({ 'token-budget': 'bin/token-budget.js' });
  });

  it('answers through the link npm made in node_modules/.bin (what `npx token-budget` runs in a clone)', () => {
    const run = spawnSync(join(ROOT, 'node_modules/.bin/token-budget'), ['validate-config', fixture('valid.yaml')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('test/fixtures/config/valid.yaml: valid');
    expect(run.status).toBe(0);
  });

  it('prints tiers with their limits, assignments per tier and budgets, and exits 0', () => {
    const run = cli('validate-config', fixture('valid.yaml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('test/fixtures/config/valid.yaml: valid');
    expect(run.stdout).toContain('user:month: user, per month, 100,000 tokens, rollover up to 50,000');
    expect(run.stdout).toContain(
      'free: 5 requests per 1 min, budget month 10,000 tokens, 2,000 tokens per minute, degrades to gpt-4o-mini',
    );
    expect(run.stdout).toContain('pro: 50 requests per 1 min, burst 10, budget user:month 1,000,000 tokens');
    expect(run.stdout).toContain('pro: 2 users (alice, bob)');
    expect(run.stdout).toContain('free: 1 user (carol) + everyone unassigned');
    expect(cli('validate-config', fixture('valid.json')).code).toBe(0);
  });

  it('prints money limits, thresholds, warn-only budgets and the pricing options a file sets beside its tiers', () => {
    const run = cli('validate-config', fixture('combined.yaml'));
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').slice(0, 4)).toEqual([
      'test/fixtures/config/combined.yaml: valid',
      'budgets (2):',
      '  user:month: user, per month, 100,000 tokens, $20 USD, thresholds 80%, 90%',
      // a money-only budget is not unlimited, and a warn budget refuses nothing
      '  tenant:day: tenant, per day, $2.5 USD, warns only (onExceeded: warn)',
    ]);
    expect(run.stdout).toContain(
      '\npricing: 1 model priced in the file (my-model), default model my-model\nadmission: reservationPolicy clamp, stopStreamWhenExhausted\n',
    );
  });

  it('prints one line per problem with file, line and field, and exits 1', () => {
    const run = cli('validate-config', fixture('bad-fields.yaml'));
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'test/fixtures/config/bad-fields.yaml:9:14: tiers.definitions.free.limit: must be a non-negative integer',
      `test/fixtures/config/bad-fields.yaml:16:13: tiers.assignments["user.7"]: unknown tier 'gold'; the tiers are: free, pro`,
      'test/fixtures/config/bad-fields.yaml: 2 problems',
    ]);
    expect(run.stdout).toBe('');
  });

  it('names the line of a YAML syntax error, and of a field in a JSON file', () => {
    const syntax = cli('validate-config', fixture('bad-syntax.yaml'));
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^test\/fixtures\/config\/bad-syntax\.yaml:8:3: syntax error: /);
    const json = cli('validate-config', fixture('bad-fields.json'));
    expect(json.code).toBe(1);
    expect(json.stderr).toContain(
      "test/fixtures/config/bad-fields.json:7:31: tiers.assignments.alice: unknown tier 'platinum'; the tiers are: free",
    );
  });

  it('names the line of the key itself when the wrong field holds a block', () => {
    const run = cli('validate-config', fixture('misplaced-blocks.yaml'));
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'test/fixtures/config/misplaced-blocks.yaml:14:3: tiers.assigments: is not a known option',
      'test/fixtures/config/misplaced-blocks.yaml:10:7: tiers.definitions.free.rate: is not a known option',
      'test/fixtures/config/misplaced-blocks.yaml: 2 problems',
    ]);
  });

  it('answers a usage line and exit code 2 to a wrong command', () => {
    const run = cli('check', fixture('valid.yaml'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: token-budget validate-config <file.yaml|file.json>');
  });
});

describe('the config file at boot (ConfigModule load + forRootAsync)', () => {
  it.each([
    ['bad-fields.yaml', 'test/fixtures/config/bad-fields.yaml:9:14: tiers.definitions.free.limit: must be a non-negative integer'],
    ['bad-fields.yaml', `test/fixtures/config/bad-fields.yaml:16:13: tiers.assignments["user.7"]: unknown tier 'gold'`],
    ['bad-syntax.yaml', 'test/fixtures/config/bad-syntax.yaml:8:3: syntax error'],
  ])('%s stops the boot naming the file and line', async (file, expected) => {
    const compiling = Test.createTestingModule({ imports: configModules(fixture(file)), controllers: [TierTestController] }).compile();
    await expect(compiling).rejects.toThrow(expected);
  });

  it('options in code are checked the same way: forRoot names the bad fields', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        TokenBudgetModule.forRoot({
          tiers: { definitions: { free: { limit: -5 }, pro: { limit: 50 } }, default: 'free', assignments: { alice: 'gold' } },
        }),
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(
      "Invalid TokenBudgetModule options:\n  - tiers.definitions.free.limit: must be a non-negative integer\n  - tiers.assignments.alice: unknown tier 'gold'; the tiers are: free, pro",
    );
  });

  it('a valid file configures the tiers of a running app', async () => {
    const app = await startApp('express', { imports: configModules(fixture('valid.yaml')), controllers: [TierTestController] });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await get(`${app.url}/tier/ping`, { 'x-user': 'carol' })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect((await get(`${app.url}/tier/ping`, { 'x-user': 'alice' })).headers.get('x-ratelimit-limit')).toBe('60'); // pro: 50 + burst 10 after an idle window
    } finally {
      await app.close();
    }
  });
});
