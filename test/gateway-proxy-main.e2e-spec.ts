import { ChildProcess, execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildGatewayApp } from './fixtures/gateway-process';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const MAIN = resolve(ROOT, 'dist/app/src/main.js');

/** Starts `node dist/app/src/main.js` with only PATH, HOME and PORT=0, and resolves with its stdout once the banner is complete. */
function startMain(): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s; stdout:\n${out}\nstderr:\n${err}`)), 30_000);
    child.stderr!.on('data', (data: Buffer) => (err += data.toString()));
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.includes('console.log(completion.usage);')) {
        clearTimeout(timer);
        resolvePromise({ child, banner: out });
      }
    });
    child.on('exit', (code) => reject(new Error(`main.js exited with ${code}; stdout:\n${out}\nstderr:\n${err}`)));
  });
}

describe('npm start: the printed examples work against the running gateway', () => {
  let child: ChildProcess | undefined;
  let banner = '';
  let url = '';
  const lines = () => banner.split('\n');

  beforeAll(async () => {
    buildGatewayApp();
    ({ child, banner } = await startMain());
    url = /listening on (http:\/\/\S+)/.exec(banner)![1];
  }, 120_000);
  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  });

  it('the banner names the storage, the upstreams and the demo key', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    expect(banner).toContain('storage:   in memory');
    expect(banner).toContain('openai -> built-in mock; anthropic -> built-in mock');
    expect(banner).toContain('sk-demo-alice (user alice, free tier)');
  });

  it('the printed curl, the streamed curl and the openai SDK snippet are served and charged', async () => {
    const curl = lines().find((line) => line.startsWith('curl -s ') && line.includes('/v1/chat/completions'))!;
    const streamed = lines().find((line) => line.startsWith('curl -sN '))!;
    const budgetCurl = lines().find((line) => line.startsWith('curl -s ') && line.includes('/v1/budget'))!;
    const start = lines().findIndex((line) => line.startsWith('import OpenAI'));
    const end = lines().findIndex((line) => line === 'console.log(completion.usage);');
    expect([curl, streamed, budgetCurl].every(Boolean)).toBe(true);
    expect(end - start).toBe(4); // five lines

    const plain = JSON.parse((await run('bash', ['-c', curl])).stdout) as {
      choices: { message: { content: string } }[];
      usage: { total_tokens: number };
    };
    expect(plain.choices[0].message.content).toBe('This is the mock upstream.');

    const events = (await run('bash', ['-c', streamed])).stdout;
    expect(events.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const usageChunk = events
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { usage?: { total_tokens: number } | null })
      .find((chunk) => chunk.usage);
    expect(usageChunk!.usage!.total_tokens).toBeGreaterThan(0);

    const snippet = lines()
      .slice(start, end + 1)
      .join('\n');
    const sdk = (await run(process.execPath, ['--input-type=module', '-e', snippet], { cwd: ROOT })).stdout;
    expect(sdk).toContain('This is the mock upstream.');
    const sdkTotal = Number(/total_tokens: (\d+)/.exec(sdk)![1]);

    const budget = JSON.parse((await run('bash', ['-c', budgetCurl])).stdout) as { scope: string; used: number; reserved: number }[];
    expect(budget.find((rule) => rule.scope === 'user')).toMatchObject({
      used: plain.usage.total_tokens + usageChunk!.usage!.total_tokens + sdkTotal,
      reserved: 0,
    });
  });
});
