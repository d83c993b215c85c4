import { Controller, Get, INestApplication, UseGuards } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import Redis from 'ioredis';
import { join } from 'node:path';
import * as ts from 'typescript';
import * as library from 'nestjs-token-budget';
import { BudgetService, RedisAdapter, TierThrottlerStorage, TokenBudgetModule } from 'nestjs-token-budget';
import { PLATFORMS } from './fixtures/create-app';
import { readFileSync } from 'node:fs';
import {
  configuringCalls,
  configuringSnippets,
  isWholeFile,
  laidInto,
  libraryFileOf,
  readmeSnippets,
  ROOT,
  Snippet,
  withoutEllipses,
} from './fixtures/readme-snippets';
import { redisUrl, testRedis, uniquePrefix } from './fixtures/storages';

/** What the README's snippets take as the reader's own: declared, so the rest is checked for real. */
const READERS_OWN = `
declare const redis: import('ioredis').Redis;
declare const billing: { plan(userId: string): Promise<{ tier: string } | undefined> };
declare function billingTier(userId: string): Promise<string | undefined>;
declare class AuthGuard { canActivate(): boolean }
declare class OpenAI { chat: { completions: { create(body: object): Promise<object> } } }
type ChatDto = { model: string; messages: { role: string; content: string }[]; max_tokens?: number };
`;

const FRAGMENT_IMPORTS = [
  `import { ${Object.keys(library)
    .filter((name) => /^[A-Z]/.test(name) || name.startsWith('load'))
    .join(', ')} } from 'nestjs-token-budget';`,
  `import { ConfigModule, ConfigService } from '@nestjs/config';`,
  `import { ThrottlerModule } from '@nestjs/throttler';`,
  `import Redis from 'ioredis';`,
].join('\n');

/** The file a snippet is compiled as: a whole example as it is, else its configuring calls. */
function sourceOf(snippet: Snippet): string {
  if (isWholeFile(snippet)) return withoutEllipses(snippet.code);
  const calls = configuringCalls(withoutEllipses(snippet.code));
  return `${FRAGMENT_IMPORTS}\nexport const configured = [\n${calls.join(',\n')},\n];\n`;
}

/** Type-checks every configuring snippet in one program (the repo's compiler options). */
function compileSnippets(snippets: Snippet[]): Map<Snippet, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  const files = new Map<string, Snippet>(snippets.map((s) => [join(ROOT, 'test', `readme-line-${s.line}.ts`), s]));
  const globals = join(ROOT, 'test', 'readme-readers-own.d.ts');
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const snippet = files.get(name);
    if (snippet) return ts.createSourceFile(name, sourceOf(snippet), version);
    if (name === globals) return ts.createSourceFile(name, READERS_OWN, version);
    return read(name, version, ...rest);
  };
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || name === globals || exists(name);
  const program = ts.createProgram([...files.keys(), globals], { ...config.options, noEmit: true, noUnusedLocals: false }, host);
  const problems = new Map<Snippet, string[]>(snippets.map((s) => [s, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const snippet = diagnostic.file && files.get(diagnostic.file.fileName);
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (snippet)
      problems.get(snippet)!.push(`line ${diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: ${text}`);
    else throw new Error(`outside the snippets: ${diagnostic.file?.fileName ?? ''} ${text}`);
  }
  return problems;
}

/** Runs one configuring call of a README snippet, with the names it uses bound to the real ones. */
function evaluate(call: string, bindings: Record<string, unknown>): unknown {
  const js = ts.transpileModule(`return ${call};`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  return new Function(...Object.keys(bindings), js)(...Object.values(bindings));
}

function snippetWith(text: string): Snippet {
  const snippet = configuringSnippets().find((s) => s.code.includes(text));
  if (!snippet) throw new Error(`README.md has no snippet with ${text}`);
  return snippet;
}

describe('README.md: every snippet that configures the module', () => {
  it('compiles (the module-configuring calls of each fragment, whole examples as they are)', () => {
    const snippets = configuringSnippets();
    expect(snippets.length).toBeGreaterThanOrEqual(10);
    const failed = [...compileSnippets(snippets)]
      .filter(([, problems]) => problems.length)
      .map(([s, problems]) => `README.md:${s.line}\n  ${problems.join('\n  ')}`);
    expect(failed).toEqual([]);
  }, 120_000);
});

/**
 * Type-checks the snippets that are library files or lines laid into one (README "Adding a
 * provider") in place, with the whole library. Every problem in the library is one too: a new
 * provider must fit.
 */
function compileInPlace(snippets: Snippet[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  const files = new Map<string, { text: string; line: number }>();
  for (const snippet of snippets) {
    const target = libraryFileOf(snippet);
    if (!target) throw new Error(`README.md:${snippet.line} is not a library file`);
    if (!target.laid) files.set(target.path, { text: snippet.code, line: snippet.line });
    else
      files.set(target.path, {
        text: laidInto(files.get(target.path)?.text ?? readFileSync(target.path, 'utf8'), snippet.code),
        line: snippet.line,
      });
  }
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const file = files.get(name);
    return file ? ts.createSourceFile(name, file.text, version) : read(name, version, ...rest);
  };
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || exists(name);
  const roots = [...files.keys(), join(ROOT, 'libs/token-budget/src/index.ts')];
  const program = ts.createProgram(roots, { ...config.options, noEmit: true, noUnusedLocals: false }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${files.has(d.file.fileName) ? `README.md:${files.get(d.file.fileName)!.line} as ` : ''}${d.file.fileName.slice(ROOT.length + 1)}`
      : '';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('README.md: the snippets that are library files', () => {
  const inPlace = readmeSnippets().filter((s) => libraryFileOf(s) !== undefined);

  it('"Adding a provider" shows a usage file, a request-body file and their list lines', () => {
    const targets = inPlace.map((s) => libraryFileOf(s)!.path.slice(ROOT.length + 1));
    expect(targets).toEqual(
      expect.arrayContaining(['libs/token-budget/src/usage/providers.ts', 'libs/token-budget/src/estimation/request-shapes.ts']),
    );
    expect(inPlace.filter((s) => !libraryFileOf(s)!.laid)).toHaveLength(2);
  });

  it('compile in place with the library (a new provider is one file and one list line each)', () => {
    expect(compileInPlace(inPlace)).toEqual([]);
  }, 120_000);
});

describe.each(PLATFORMS)('README.md "plain throttler limits on shared storage", booted as written on %s', (platform) => {
  let app: INestApplication;
  let client: Redis;
  let observer: Redis;
  const keyPrefix = uniquePrefix();

  @Controller('plain')
  @UseGuards(ThrottlerGuard)
  class PlainController {
    @Get()
    hello() {
      return { ok: true };
    }
  }

  beforeAll(async () => {
    client = testRedis();
    observer = testRedis();
    const [call] = configuringCalls(snippetWith('ThrottlerModule.forRootAsync({\n  imports: [TokenBudgetModule],').code);
    const throttler = evaluate(call, { ThrottlerModule, TokenBudgetModule, TierThrottlerStorage });
    const module = (imports: unknown[]) => ({ module: class ReadmeThrottlerModule {}, imports, controllers: [PlainController] });
    // not isGlobal: the bare TokenBudgetModule the snippet imports reaches the configured module's storage
    app = await NestFactory.create(
      module([TokenBudgetModule.forRoot({ storage: new RedisAdapter(client), keyPrefix }), throttler]) as never,
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([client?.quit(), observer?.quit()]);
  });

  it('limits requests with the snippet’s 100 per minute, in keys under the module’s prefix', async () => {
    const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/plain`;
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++) statuses.push((await fetch(url)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses[100]).toBe(429);
    const keys = await observer.keys(`${keyPrefix}:throttle:*`);
    expect(keys).toHaveLength(1);
    expect(await observer.hget(keys[0], 'c')).toBe('100');
    const bare = (await observer.keys('*')).filter((key) => /^[0-9a-f]{64}$/.test(key));
    expect(bare).toEqual([]); // nothing beside the module's keys
  });
});

describe('README.md "Module options, sync and async", booted as written', () => {
  it('builds the module from ConfigService, with a RedisAdapter and a global BudgetService', async () => {
    const [call] = configuringCalls(snippetWith("storage: new RedisAdapter(new Redis(config.getOrThrow('REDIS_URL')))").code);
    const configured = evaluate(call, { TokenBudgetModule, ConfigModule, ConfigService, RedisAdapter, Redis });
    @Controller()
    class Elsewhere {}
    const elsewhere = {
      module: class ElsewhereModule {},
      controllers: [Elsewhere],
      providers: [{ provide: 'usage', useFactory: (b: BudgetService) => b, inject: [BudgetService] }],
    };
    const root = {
      module: class ReadmeOptionsModule {},
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ REDIS_URL: redisUrl(), MONTHLY_TOKENS: '5000' })] }),
        configured,
        elsewhere,
      ],
    };
    const app = await NestFactory.createApplicationContext(root as never, { logger: false });
    const storage = app.get(library.StorageAdapter, { strict: false });
    try {
      const budgets = app.get<BudgetService>('usage', { strict: false }); // injected in a module that does not import it
      const [usage] = await budgets.getUsage({ user: uniquePrefix() });
      expect(usage).toMatchObject({ name: 'user:month', limit: 5_000, used: 0 });
      expect(storage).toBeInstanceOf(RedisAdapter);
    } finally {
      await app.close();
      await (storage as RedisAdapter).client.quit(); // the snippet's client is the app's own: the adapter leaves it open
    }
  });
});
