import { resolve } from 'node:path';
import { PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway, testKeys } from './fixtures/gateway-app';

const KEY = { authorization: 'Bearer sk-bad' };
const MIB = 1_048_576;

/** POSTs raw text and returns status, content type and parsed body. */
async function send(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: JSON.parse(text) as Record<string, unknown> };
}

/** A chat body of about `bytes` bytes. */
const chatOfSize = (bytes: number) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(bytes - 70) }], max_tokens: 5 });

describe.each(PLATFORMS)('gateway: bad input on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    // room for the 1 MiB prompt that is served
    t = await startGateway(platform, { MONTHLY_TOKENS_PER_USER: '10000000' }, { keys: testKeys('bad') });
  });
  afterAll(() => t?.close());

  /** Every budget of the caller (user and global): nothing used, nothing held. */
  async function expectNothingCounted() {
    const rules = (await (await fetch(`${t.url}/v1/budget`, { headers: KEY })).json()) as {
      scope: string;
      used: number;
      reserved: number;
    }[];
    expect(rules.map((r) => r.scope).sort()).toEqual(['global', 'key', 'user']);
    for (const rule of rules) expect(rule).toMatchObject({ used: 0, reserved: 0 });
  }

  it.each([
    ['invalid JSON', '{"model": "gpt-4o-mini", "messages": [', 400, 'invalid_json'],
    ['a body that is not an object', '["gpt-4o-mini"]', 400, 'invalid_body'],
    ['a JSON null body', 'null', 400, 'invalid_body'],
    ['a JSON string body', '"gpt-4o-mini"', 400, 'invalid_body'],
    ['a JSON number body', '42', 400, 'invalid_body'],
    ['no model', '{"messages":[{"role":"user","content":"Hi"}]}', 400, 'missing_required_parameter'],
    ['a model that is not a string', '{"model":42,"messages":[]}', 400, 'missing_required_parameter'],
    ['an unknown model', '{"model":"gpt-nonexistent-9","messages":[{"role":"user","content":"Hi"}]}', 404, 'model_not_found'],
  ])('chat completions with %s: an OpenAI JSON error, nothing counted', async (_case, body, status, code) => {
    const res = await send(`${t.url}/v1/chat/completions`, body, KEY);
    expect(res.status).toBe(status);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ error: { type: 'invalid_request_error', code, message: expect.any(String) } });
    await expectNothingCounted();
  });

  it.each([
    ['Bearer sk-bad extra', 'Malformed Authorization header'],
    ['Basic c2stYmFk', 'Malformed Authorization header'],
    ['Bearer sk-unknown', 'Invalid API key'],
  ])('Authorization: %s: a 401 saying what is wrong with the key', async (authorization, message) => {
    const res = await send(`${t.url}/v1/chat/completions`, '{"model":"gpt-4o-mini","messages":[]}', { authorization });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'invalid_api_key', message: expect.stringContaining(message) } });
  });

  it('a path in other case (/V1/..., which Express routes as /v1/...): errors in the provider shape too', async () => {
    const openai = await send(`${t.url}/V1/chat/completions`, '{"model":', KEY);
    expect(openai.body).toMatchObject({ error: { message: expect.any(String), type: 'invalid_request_error' } });
    const anthropic = await send(`${t.url}/V1/messages`, '{"model":', KEY);
    expect(anthropic.body).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
  });

  it.each(['/v1/responses', '/v1/embeddings'])('%s without a model: 400 before admission', async (path) => {
    const res = await send(`${t.url}${path}`, '{"input":"Hi"}', KEY);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { param: 'model', code: 'missing_required_parameter' } });
    await expectNothingCounted();
  });

  it.each([
    ['invalid JSON', '{"model":', 400, 'invalid_request_error'],
    ['no model', '{"max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}', 400, 'invalid_request_error'],
    [
      'an unknown model',
      '{"model":"claude-nonexistent","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}',
      404,
      'not_found_error',
    ],
  ])('messages with %s: an Anthropic JSON error, nothing counted', async (_case, body, status, type) => {
    const res = await send(`${t.url}/v1/messages`, body, KEY);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ type: 'error', error: { type, message: expect.any(String) } });
    await expectNothingCounted();
  });

  it('no key or an unknown key: 401 JSON error, nothing counted', async () => {
    for (const headers of [{}, { authorization: 'Bearer sk-nobody' }] as Record<string, string>[]) {
      const res = await send(`${t.url}/v1/chat/completions`, '{"model":"gpt-4o-mini","messages":[]}', headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { message: expect.any(String) } });
    }
    await expectNothingCounted();
  });

  it('a body over the default 1 MiB limit: 413 JSON error, nothing counted; one just under it is served', async () => {
    const over = await send(`${t.url}/v1/chat/completions`, chatOfSize(MIB + 100), KEY);
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ error: { code: 'request_too_large', message: expect.stringContaining('MAX_BODY_BYTES') } });
    const anthropicOver = await send(`${t.url}/v1/messages`, chatOfSize(MIB + 100), KEY);
    expect(anthropicOver.status).toBe(413);
    expect(anthropicOver.body).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    await expectNothingCounted();
    const under = await send(`${t.url}/v1/chat/completions`, chatOfSize(MIB - 1_000), KEY);
    expect(under.status).toBe(200);
  });
});

describe.each(PLATFORMS)('gateway environment on %s', (platform) => {
  it('MAX_BODY_BYTES sets the limit', async () => {
    const t = await startGateway(platform, { MAX_BODY_BYTES: '4096' }, { keys: testKeys('bad') });
    try {
      expect((await send(`${t.url}/v1/chat/completions`, chatOfSize(5_000), KEY)).status).toBe(413);
      expect((await send(`${t.url}/v1/chat/completions`, chatOfSize(3_000), KEY)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('a bad MAX_BODY_BYTES stops the boot naming it', async () => {
    await expect(startGateway(platform, { MAX_BODY_BYTES: '12' })).rejects.toThrow(/MAX_BODY_BYTES: must not be less than 1024/);
  });

  it('TOKEN_BUDGET_CONFIG: a bad file stops the boot with its path and problem; a good one sets the budgets and tiers', async () => {
    const bad = resolve(__dirname, 'fixtures/config/bad-fields.yaml');
    await expect(startGateway(platform, { TOKEN_BUDGET_CONFIG: bad })).rejects.toThrow(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `),
    );
    const t = await startGateway(
      platform,
      { TOKEN_BUDGET_CONFIG: resolve(__dirname, 'fixtures/config/valid.yaml') },
      { keys: testKeys('carol', 'alice') },
    );
    try {
      const chat = (key: string) =>
        send(`${t.url}/v1/chat/completions`, '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":5}', {
          authorization: `Bearer ${key}`,
        });
      const carol = await chat('sk-carol');
      expect(carol.status).toBe(200);
      // the file's tiers: carol is on free (5 a minute), alice on pro (50)
      const free = await fetch(`${t.url}/v1/budget`, { headers: { authorization: 'Bearer sk-carol' } });
      expect(((await free.json()) as { scope: string; limit: number }[]).find((r) => r.scope === 'user')?.limit).toBe(10_000);
      const alice = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-alice' },
        body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":5}',
      });
      expect(alice.headers.get('x-ratelimit-limit')).toBe('60'); // limit 50 + burst 10
    } finally {
      await t.close();
    }
  });
});
