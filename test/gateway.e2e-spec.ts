import { AppModule } from '../src/app.module';
import { DEMO_KEYS } from '../src/keys/demo-keys';
import { get, PLATFORMS, post, startApp, TestApp } from './fixtures/create-app';

const alice = { authorization: 'Bearer sk-demo-alice' };
const o200k = require('gpt-tokenizer/encoding/o200k_base') as { encode(text: string): number[] };
const o = (...texts: string[]) => texts.reduce((sum, text) => sum + o200k.encode(text).length, 0);
/** One user message: 3 tokens of framing, 3 to prime the reply, role and content (OpenAI's count). */
const CHAT_PROMPT = 3 + 3 + o('user', 'Say hello in twelve words.');
/** Claude: the o200k_base count of role and content plus 20%, and the same framing. */
const CLAUDE_PROMPT = 3 + 3 + Math.ceil(o('user', 'Hi') * 1.2);
const chat = (maxTokens: number) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in twelve words.' }],
  max_tokens: maxTokens,
});

describe.each(PLATFORMS)('example gateway on %s', (platform) => {
  let t: TestApp;
  const env = { ...process.env };

  beforeAll(async () => {
    process.env.MONTHLY_TOKENS_PER_USER = '1000';
    delete process.env.REDIS_URL; // the gateway's zero-config default: in-memory budgets
    t = await startApp(platform, {
      imports: [AppModule.register({ keys: { ...DEMO_KEYS, 'sk-carol': { id: 'carol', tenantId: 'demo' } } })],
    });
  });
  afterAll(async () => {
    process.env = env;
    await t.close();
  });

  it('serves OpenAI chat completions and charges the usage to the caller', async () => {
    const res = await post(`${t.url}/v1/chat/completions`, chat(100), alice);
    expect(res.status).toBe(200);
    expect(res.body.usage).toEqual({ prompt_tokens: CHAT_PROMPT, completion_tokens: 100, total_tokens: CHAT_PROMPT + 100 });
    expect(res.headers.get('x-tokenbudget-remaining')).toBe(String(1000 - CHAT_PROMPT - 100));
    const budget = await get(`${t.url}/v1/budget`, alice);
    expect(budget.body[0]).toMatchObject({ scope: 'user', id: 'alice', used: CHAT_PROMPT + 100, limit: 1000, reserved: 0 });
  });

  it('serves Anthropic messages and counts their usage', async () => {
    const res = await post(
      `${t.url}/v1/messages`,
      { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 },
      { 'x-api-key': 'sk-demo-bob' },
    );
    expect(res.status).toBe(200);
    expect(res.body.usage).toMatchObject({ input_tokens: CLAUDE_PROMPT, output_tokens: 20 });
    const budget = await get(`${t.url}/v1/budget`, { 'x-api-key': 'sk-demo-bob' });
    expect(budget.body[0]).toMatchObject({ id: 'bob', used: CLAUDE_PROMPT + 20 });
  });

  it('serves a request asking more output than it should hold with its output lowered (fair holds), and refuses one that cannot fit 256 output tokens: 402 in the OpenAI shape, x-should-retry: false', async () => {
    const left = 1000 - CHAT_PROMPT - 100;
    const lowered = await post(`${t.url}/v1/chat/completions`, chat(900), alice);
    expect(lowered.status).toBe(200);
    // a quarter of what is left after the prompt, at least 256: what the mock billed is what was held
    const output = Math.max(256, Math.floor(0.25 * (left - CHAT_PROMPT)));
    expect(lowered.body.usage).toEqual({ prompt_tokens: CHAT_PROMPT, completion_tokens: output, total_tokens: CHAT_PROMPT + output });
    const used = CHAT_PROMPT + 100 + CHAT_PROMPT + output;
    const res = await post(
      `${t.url}/v1/chat/completions`,
      { ...chat(900), messages: [{ role: 'user', content: 'hello '.repeat(800) }] },
      alice,
    );
    expect(res.status).toBe(402);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(res.body).toMatchObject({
      error: { type: 'insufficient_quota', code: 'budget_exceeded', param: null, reason: 'user_token_limit_exceeded', used, limit: 1000 },
    });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it("limits each demo key at its tier's rate: alice free, bob pro", async () => {
    const aliceRes = await post(`${t.url}/v1/chat/completions`, chat(1), alice);
    expect(aliceRes.headers.get('x-ratelimit-limit')).toBe('20');
    const bobRes = await post(`${t.url}/v1/chat/completions`, chat(1), { authorization: 'Bearer sk-demo-bob' });
    expect(bobRes.headers.get('x-ratelimit-limit')).toBe('200');
    expect(Number(bobRes.headers.get('x-ratelimit-remaining'))).toBeLessThan(200);
  });

  it('serves a free key over its rate with the cheaper model', async () => {
    const carol = { authorization: 'Bearer sk-carol' };
    const statuses: string[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await post(`${t.url}/v1/chat/completions`, { ...chat(1), model: 'gpt-4o' }, carol);
      statuses.push(`${res.status} ${res.body.model}`);
    }
    expect(statuses.slice(0, 20).every((s) => s === '200 gpt-4o')).toBe(true);
    expect(statuses[20]).toBe('200 gpt-4o-mini');
  });

  it('answers 401 without a known key and serves health without one', async () => {
    expect((await post(`${t.url}/v1/chat/completions`, chat(1))).status).toBe(401);
    expect((await get(`${t.url}/health`)).body).toEqual({ status: 'ok' });
  });
});

describe('gateway environment', () => {
  it('stops the boot naming a bad variable', async () => {
    const env = { ...process.env };
    process.env.MONTHLY_TOKENS_PER_USER = 'lots';
    try {
      await expect(startApp('express', { imports: [AppModule.register()] })).rejects.toThrow(/MONTHLY_TOKENS_PER_USER/);
    } finally {
      process.env = env;
    }
  });
});
