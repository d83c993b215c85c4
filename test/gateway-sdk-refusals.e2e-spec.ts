import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { ChatOpenAI } from '@langchain/openai';
import { APICallError, generateText, streamText } from 'ai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { buildGatewayApp, GatewayProcess, startGatewayProcess } from './fixtures/gateway-process';

const ADMIN = 'sk-admin-sdk-refusals-0123456789';
const MONTH = 2_000;
/** Budgets: 2,000 tokens a user a month; tiers: `roomy` (the default, 1,000 requests a minute) and `tight` (1 request per 2 s). */
const CONFIG = `
budgets:
  - { scope: user, period: month, tokens: ${MONTH} }
tiers:
  default: roomy
  enforce: reject
  definitions:
    roomy: { limit: 1000, ttl: 1m }
    tight: { limit: 1, ttl: 2s }
`;

/** What a client must surface of a budget refusal. */
const BUDGET_MESSAGE = /Token budget exceeded: the user budget has \d+ of 2000 tokens left .* It will reset at \d{4}-\d\d-\d\dT/;

async function createKey(url: string, user: string, tier?: string): Promise<string> {
  const res = await fetch(`${url}/admin/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...(tier ? { tier } : {}) }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`key for ${user}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/**
 * Spends most of the user's month with seven plain calls of 256 output tokens (the gateway's fair
 * holds would lower one larger call to a quarter of what is left), so that less than a prompt plus
 * 256 output tokens is left and the next call of 256+ does not fit.
 */
async function spend(url: string, key: string): Promise<void> {
  for (let i = 0; i < 7; i++) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 256 }),
    });
    expect(res.status).toBe(200);
  }
}

/**
 * The user's requests as the gateway logged them, once every earlier request of the test is in the
 * log: a `GET /v1/budget` marker is sent last and waited for (the log is written in order).
 */
async function requestsOf(gateway: GatewayProcess, key: string, user: string): Promise<Record<string, unknown>[]> {
  const marker = await fetch(`${gateway.url}/v1/budget`, { headers: { authorization: `Bearer ${key}` } });
  expect(marker.status).toBe(200);
  const deadline = Date.now() + 20_000;
  const isMarker = (line: Record<string, unknown>) => line.userId === user && line.route === '/v1/budget';
  while (!gateway.lines.some(isMarker)) {
    if (Date.now() > deadline) throw new Error(`no log line of the /v1/budget marker of ${user}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return gateway.lines.filter((line) => line.userId === user && typeof line.route === 'string' && line.route !== '/v1/budget');
}

const rejected = (lines: Record<string, unknown>[]) => lines.filter((line) => line.decision === 'rejected');

describe.each(['express', 'fastify'] as const)('real SDK clients read the gateway refusals (%s, the built gateway process)', (platform) => {
  let gateway: GatewayProcess;
  let users = 0;
  /** A new user with a key, whose month is nearly spent. */
  const exhaustedUser = async (): Promise<{ user: string; key: string }> => {
    const user = `${platform}-user-${++users}`;
    const key = await createKey(gateway.url, user);
    await spend(gateway.url, key);
    return { user, key };
  };

  beforeAll(async () => {
    buildGatewayApp();
    const dir = mkdtempSync(join(tmpdir(), 'sdk-refusals-'));
    writeFileSync(join(dir, 'budget.yaml'), CONFIG);
    gateway = await startGatewayProcess({ PORT: '0', PLATFORM: platform, ADMIN_KEY: ADMIN, TOKEN_BUDGET_CONFIG: join(dir, 'budget.yaml') });
  }, 120_000);
  afterAll(() => gateway?.stop());

  it('openai: APIError with the message, type insufficient_quota, code budget_exceeded and the figures; one request (x-should-retry: false)', async () => {
    const { user, key } = await exhaustedUser();
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` });
    const error = (await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 300 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(402);
    expect(error.code).toBe('budget_exceeded');
    expect(error.type).toBe('insufficient_quota');
    expect(error.message).toMatch(BUDGET_MESSAGE);
    expect(error.error).toMatchObject({
      reason: 'user_token_limit_exceeded',
      scope: 'user',
      unit: 'tokens',
      limit: MONTH,
      requested: expect.any(Number),
      resetAt: expect.stringMatching(/^\d{4}-/),
    });
    const figures = error.error as { used: number; remaining: number; requested: number };
    expect(figures.used).toBeGreaterThan(1_800);
    expect(figures.remaining).toBe(MONTH - figures.used);
    expect(figures.remaining).toBeLessThan(figures.requested);
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect(error.requestID).toMatch(/^[\w-]+$/);
    const lines = await requestsOf(gateway, key, user);
    expect(rejected(lines)).toHaveLength(1);
    expect(rejected(lines)[0]).toMatchObject({ status: 402, reason: 'user_token_limit_exceeded' });
  });

  it('@anthropic-ai/sdk: APIError with the message, type billing_error, errorCode budget_exceeded, details and requestID; one request', async () => {
    const { user, key } = await exhaustedUser();
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url });
    const error = (await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 300, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(402);
    expect(error.type).toBe('billing_error');
    expect(error.errorCode).toBe('budget_exceeded');
    expect(error.apiMessage).toMatch(BUDGET_MESSAGE);
    expect(error.details).toMatchObject({ reason: 'user_token_limit_exceeded', scope: 'user', limit: MONTH });
    expect(error.requestID).toMatch(/^[\w-]+$/);
    expect((error.error as { request_id?: string }).request_id).toBe(error.requestID);
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect(rejected(await requestsOf(gateway, key, user))).toHaveLength(1);
  });

  it('ai + @ai-sdk/openai (generateText, default Responses API): APICallError, not retryable, with the message and data.error.code; one request', async () => {
    const { user, key } = await exhaustedUser();
    const openai = createOpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` });
    const error = await generateText({ model: openai('gpt-4o-mini'), prompt: 'Hi', maxOutputTokens: 300 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    const call = error as APICallError;
    expect(call.statusCode).toBe(402);
    expect(call.isRetryable).toBe(false);
    expect(call.message).toMatch(BUDGET_MESSAGE);
    expect(call.data).toMatchObject({ error: { code: 'budget_exceeded', type: 'insufficient_quota' } });
    expect(JSON.parse(call.responseBody!)).toMatchObject({ error: { reason: 'user_token_limit_exceeded', limit: MONTH } });
    const lines = await requestsOf(gateway, key, user);
    expect(rejected(lines)).toHaveLength(1);
    expect(rejected(lines)[0]).toMatchObject({ route: '/v1/responses' });
  });

  it('ai + @ai-sdk/anthropic (generateText): APICallError, not retryable, with the message and data.error.type; one request', async () => {
    const { user, key } = await exhaustedUser();
    const anthropic = createAnthropic({ apiKey: key, baseURL: `${gateway.url}/v1` });
    const error = await generateText({ model: anthropic('claude-sonnet-4-6'), prompt: 'Hi', maxOutputTokens: 300 }).catch(
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(error)).toBe(true);
    const call = error as APICallError;
    expect(call.statusCode).toBe(402);
    expect(call.isRetryable).toBe(false);
    expect(call.message).toMatch(BUDGET_MESSAGE);
    expect(call.data).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
    expect(JSON.parse(call.responseBody!)).toMatchObject({
      error: { details: { error_code: 'budget_exceeded', reason: 'user_token_limit_exceeded' } },
    });
    const lines = await requestsOf(gateway, key, user);
    expect(rejected(lines)).toHaveLength(1);
    expect(rejected(lines)[0]).toMatchObject({ route: '/v1/messages' });
  });

  it('ai streamText (stream: true): nothing thrown, the APICallError reaches onError and the stream ends empty; one request', async () => {
    const { user, key } = await exhaustedUser();
    const openai = createOpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` });
    const errors: unknown[] = [];
    const result = streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Hi',
      maxOutputTokens: 300,
      onError: ({ error }) => void errors.push(error),
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('');
    expect(errors).toHaveLength(1);
    expect(APICallError.isInstance(errors[0])).toBe(true);
    expect(errors[0]).toMatchObject({ statusCode: 402, isRetryable: false, message: expect.stringMatching(BUDGET_MESSAGE) });
    const lines = await requestsOf(gateway, key, user);
    expect(rejected(lines)).toHaveLength(1);
    expect(rejected(lines)[0]).toMatchObject({ route: '/v1/chat/completions' });
  });

  it('@langchain/openai (ChatOpenAI.invoke): the openai error with its message and code, not retried; one request', async () => {
    const { user, key } = await exhaustedUser();
    const chat = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: key, maxTokens: 300, configuration: { baseURL: `${gateway.url}/v1` } });
    const error = (await chat.invoke('Hi').catch((e: unknown) => e)) as { status?: number; code?: string; message: string; name: string };
    expect(error.status).toBe(402);
    expect(error.code).toBe('budget_exceeded');
    expect(error.message).toMatch(BUDGET_MESSAGE);
    expect(error.name).not.toMatch(/RateLimit/);
    expect(rejected(await requestsOf(gateway, key, user))).toHaveLength(1);
  });

  it('a tier rate limit is 429 rate_limit_exceeded with x-should-retry: true and retry-after, and the openai SDK (default settings) waits and is served', async () => {
    const user = `${platform}-tight`;
    const key = await createKey(gateway.url, user, 'tight');
    const bare = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const ask = (client: OpenAI) =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
    await ask(bare);
    const error = (await ask(bare).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('requests');
    expect(error.message).toMatch(/Rate limit of the 'tight' tier reached: 1 requests per 2 s/);
    expect(error.error).toMatchObject({ reason: 'tier_rate_limited', tier: 'tight', limit: 1, remaining: 0 });
    expect(error.headers?.get('x-should-retry')).toBe('true');
    const retryAfter = Number(error.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);

    // default client: while the window is taken it is refused, waits retry-after and retries; served either way
    const served = await ask(new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` }));
    expect(served.choices[0].message.content).toBe('This is the mock upstream.');
  });

  it('a tier rate limit on /v1/messages is rate_limit_error with error_code rate_limit_exceeded, retry-after and x-should-retry: true', async () => {
    const user = `${platform}-tight-anthropic`;
    const key = await createKey(gateway.url, user, 'tight');
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const ask = () => client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] });
    await ask();
    const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error.status).toBe(429);
    expect(error.type).toBe('rate_limit_error');
    expect(error.errorCode).toBe('rate_limit_exceeded');
    expect(error.headers?.get('x-should-retry')).toBe('true');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(error.requestID).toMatch(/^[\w-]+$/);
  });
});

describe('BUDGET_EXHAUSTED_STATUS=429 (as OpenAI answers insufficient_quota): which clients still stop at one request', () => {
  let gateway: GatewayProcess;
  let users = 0;
  const exhaustedUser = async (): Promise<{ user: string; key: string }> => {
    const user = `status429-user-${++users}`;
    const key = await createKey(gateway.url, user);
    await spend(gateway.url, key);
    return { user, key };
  };

  beforeAll(async () => {
    buildGatewayApp();
    const dir = mkdtempSync(join(tmpdir(), 'sdk-refusals-429-'));
    writeFileSync(join(dir, 'budget.yaml'), CONFIG);
    gateway = await startGatewayProcess({
      PORT: '0',
      ADMIN_KEY: ADMIN,
      TOKEN_BUDGET_CONFIG: join(dir, 'budget.yaml'),
      BUDGET_EXHAUSTED_STATUS: '429',
    });
  }, 120_000);
  afterAll(() => gateway?.stop());

  it('openai and @anthropic-ai/sdk obey x-should-retry: false (one request each); types insufficient_quota / rate_limit_error', async () => {
    const a = await exhaustedUser();
    const openAiError = (await new OpenAI({ apiKey: a.key, baseURL: `${gateway.url}/v1` }).chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 300 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(openAiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(openAiError).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect(rejected(await requestsOf(gateway, a.key, a.user))).toHaveLength(1);

    const b = await exhaustedUser();
    const anthropicError = (await new Anthropic({ apiKey: b.key, baseURL: gateway.url }).messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 300, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError).toMatchObject({ status: 429, type: 'rate_limit_error', errorCode: 'budget_exceeded' });
    expect(rejected(await requestsOf(gateway, b.key, b.user))).toHaveLength(1);
  });

  it('@langchain/openai stops at one request (its classifier reads "will reset at" as an exhausted quota)', async () => {
    const { user, key } = await exhaustedUser();
    const chat = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: key, maxTokens: 300, configuration: { baseURL: `${gateway.url}/v1` } });
    const error = (await chat.invoke('Hi').catch((e: unknown) => e)) as { name: string; message: string; rateLimitType?: string };
    expect(error.name).toBe('RateLimitQuotaExhaustedError');
    expect(error.rateLimitType).toBe('stop');
    expect(error.message).toMatch(BUDGET_MESSAGE);
    expect(rejected(await requestsOf(gateway, key, user))).toHaveLength(1);
  });

  it('the Vercel AI SDK retries any 429 (it decides by status alone): 3 requests, then RetryError; why the default is 402', async () => {
    const { user, key } = await exhaustedUser();
    const openai = createOpenAI({ apiKey: key, baseURL: `${gateway.url}/v1` });
    const error = (await generateText({ model: openai('gpt-4o-mini'), prompt: 'Hi', maxOutputTokens: 300 }).catch((e: unknown) => e)) as {
      name: string;
      lastError?: unknown;
    };
    expect(error.name).toBe('AI_RetryError');
    expect(APICallError.isInstance(error.lastError)).toBe(true);
    expect((error.lastError as APICallError).message).toMatch(BUDGET_MESSAGE);
    expect(rejected(await requestsOf(gateway, key, user))).toHaveLength(3);
  }, 60_000);
});
