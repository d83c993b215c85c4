import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_KEY, AdminKey } from '../src/admin/admin-key';
import { announceAdminKey } from '../src/admin/admin-key-file';
import { get, post, PLATFORMS, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { startGateway, TEST_ADMIN_KEY } from './fixtures/gateway-app';
import { buildGatewayApp, startGatewayProcess } from './fixtures/gateway-process';

const run = promisify(execFile);
const MAIN = resolve(__dirname, '..', 'dist', 'app', 'src', 'main.js');
const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 };
const alice = { authorization: 'Bearer sk-demo-alice' };

describe.each(PLATFORMS)('demo keys only where no real provider is behind them (%s)', (platform) => {
  let fake: FakeProvider;
  let t: TestApp | undefined;
  beforeAll(async () => {
    fake = await new FakeProvider().start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => fake?.close());

  it('with every upstream the built-in mock, the demo keys work', async () => {
    t = await startGateway(platform, {});
    expect((await post(`${t.url}/v1/chat/completions`, chat, alice)).status).toBe(200);
  });

  it('with a real upstream, sk-demo-alice is an unknown key (401) and nothing reaches the provider', async () => {
    t = await startGateway(platform, { UPSTREAM_OPENAI_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-server-key' });
    const before = fake.requests.length;
    const res = await post(`${t.url}/v1/chat/completions`, chat, alice);
    expect(res.status).toBe(401);
    expect(fake.requests.length).toBe(before);
    const keys = await get(`${t.url}/admin/api/keys`, { authorization: `Bearer ${TEST_ADMIN_KEY}` });
    expect(keys.body).toEqual([]);
  });

  it('with a real upstream and DEMO_KEYS=1, the demo keys are seeded and forwarded', async () => {
    t = await startGateway(platform, { UPSTREAM_OPENAI_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-server-key', DEMO_KEYS: '1' });
    expect((await post(`${t.url}/v1/chat/completions`, chat, alice)).status).toBe(200);
  });

  it('with the mock and DEMO_KEYS=0, no demo key', async () => {
    t = await startGateway(platform, { DEMO_KEYS: '0' });
    expect((await post(`${t.url}/v1/chat/completions`, chat, alice)).status).toBe(401);
  });
});

describe('admin key of a real deployment', () => {
  beforeAll(() => buildGatewayApp(), 120_000);

  it('a real upstream and no ADMIN_KEY: the process refuses to boot with one line saying how to set one', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', UPSTREAM_ANTHROPIC_URL: 'http://127.0.0.1:9' };
    const failure = (await run(process.execPath, [MAIN], { env, timeout: 60_000 }).catch((e: unknown) => e)) as {
      code: number;
      stdout: string;
      stderr: string;
    };
    expect(failure.code).toBe(1);
    expect(failure.stderr.trim()).toBe(
      'ADMIN_KEY is required when UPSTREAM_ANTHROPIC_URL is set: set ADMIN_KEY to a secret of 16 to 256 characters, e.g. ADMIN_KEY=$(openssl rand -base64 32)',
    );
    expect(failure.stdout).not.toMatch(/listening/);
  });

  it('in-process too: createGateway rejects with the same line', async () => {
    const saved = process.env.ADMIN_KEY;
    delete process.env.ADMIN_KEY;
    try {
      await expect(startGateway('express', { UPSTREAM_OPENAI_URL: 'http://127.0.0.1:9/v1' }, { adminKey: '' })).rejects.toThrow(
        /^ADMIN_KEY is required when UPSTREAM_OPENAI_URL is set/,
      );
    } finally {
      if (saved !== undefined) process.env.ADMIN_KEY = saved;
    }
  });

  it('generated off a terminal: never printed, written to ADMIN_KEY_FILE with mode 0600, the banner gives the path and the create-key curl', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'admin-key-file-')), 'admin.key');
    const gateway = await startGatewayProcess({ PORT: '0', ADMIN_KEY: '', ADMIN_KEY_FILE: file });
    try {
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(/^sk-admin-[\w-]{32}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const output = gateway.lines.map((line) => JSON.stringify(line)).join('\n');
      expect(output).not.toContain(key);
      expect(output).toContain(`in ${file} (mode 0600`);
      const curl = gateway.lines
        .map((line) => String(line.msg))
        .find((text) => text.startsWith('curl -s ') && text.includes('/admin/api/keys'))!;
      expect(curl).toContain(`$(cat ${file})`);
      // the printed create-key curl works, and the key it makes is served
      const created = JSON.parse((await run('bash', ['-c', curl])).stdout) as { key: string; user: string };
      expect(created.user).toBe('alice');
      expect((await post(`${gateway.url}/v1/chat/completions`, chat, { authorization: `Bearer ${created.key}` })).status).toBe(200);
      expect((await get(`${gateway.url}/admin/api/keys`, { authorization: `Bearer ${key}` })).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });

  it('generated: printed in full only on a terminal; else a private new file under the OS temp dir; a key from ADMIN_KEY never repeated', () => {
    const generated: AdminKey = { value: 'sk-admin-generated-0123456789abcdef', generated: true };
    expect(announceAdminKey(generated, true)).toEqual({ text: expect.stringContaining('sk-admin-generated-0123456789abcdef') });
    const written = announceAdminKey(generated, false);
    expect(written.text).not.toContain(generated.value);
    expect(written.file!.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(written.file!, 'utf8')).toBe(`${generated.value}\n`);
    expect(statSync(written.file!).mode & 0o777).toBe(0o600);
    expect(statSync(resolve(written.file!, '..')).mode & 0o777).toBe(0o700);
    expect(announceAdminKey({ value: 'from-the-environment-0123', generated: false }, true).text).toBe('the value of ADMIN_KEY');
  });

  it('an app with an admin key given keeps it (ADMIN_KEY, or the adminKey option)', async () => {
    const t = await startGateway('express', { UPSTREAM_OPENAI_URL: 'http://127.0.0.1:9/v1' }, { adminKey: 'sk-admin-option-0123456789' });
    try {
      expect(t.app.get<AdminKey>(ADMIN_KEY)).toEqual({ value: 'sk-admin-option-0123456789', generated: false });
    } finally {
      await t.close();
    }
  });
});
