import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { eventually, PLATFORMS, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { startGateway, testKeys, userBudget } from './fixtures/gateway-app';
import { freePort } from './setup/redis-server';

const SERVER_OPENAI_KEY = 'sk-server-openai-key';
const SERVER_ANTHROPIC_KEY = 'sk-server-anthropic-key';
const USERS = [
  'waiting',
  'chat',
  'chat-stream',
  'raw-stream',
  'responses',
  'responses-stream',
  'embeddings',
  'messages',
  'messages-stream',
  'failing',
  'failing-stream',
  'abort',
];
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say something' }];
/** The text the fake streams by default (5 chunks). */
const FAKE_TEXT = Array.from({ length: 5 }, (_, i) => FakeProvider.chunkText(i)).join('');

/** Settled: nothing held any more; returns the user budget. */
async function settled(url: string, key: string) {
  await eventually(async () => (await userBudget(url, key)).reserved === 0, 5_000);
  return userBudget(url, key);
}

describe.each(PLATFORMS)('gateway proxy to HTTP upstreams on %s (real SDK clients, fake provider)', (platform) => {
  let fake: FakeProvider;
  let t: TestApp;
  const openai = (user: string) => new OpenAI({ apiKey: `sk-${user}`, baseURL: `${t.url}/v1`, maxRetries: 0 });
  const anthropic = (user: string) => new Anthropic({ apiKey: `sk-${user}`, baseURL: t.url, maxRetries: 0 });
  const lastRequest = () => fake.requests[fake.requests.length - 1];
  const lastReported = () => fake.reported[fake.reported.length - 1];

  beforeAll(async () => {
    fake = await new FakeProvider().start();
    t = await startGateway(
      platform,
      {
        UPSTREAM_OPENAI_URL: `${fake.url}/v1`,
        OPENAI_API_KEY: SERVER_OPENAI_KEY,
        UPSTREAM_ANTHROPIC_URL: fake.url,
        ANTHROPIC_API_KEY: SERVER_ANTHROPIC_KEY,
        MONTHLY_TOKENS_PER_USER: '100000',
      },
      { keys: testKeys(...USERS) },
    );
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  afterEach(() => {
    fake.knobDefaults = {};
  });

  it('chat completion: the server key reaches the provider, the reported usage is charged', async () => {
    const completion = await openai('chat').chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50 });
    expect(completion.choices[0].message.content).toBe(FAKE_TEXT);
    expect(completion.usage!.total_tokens).toBe(lastReported());
    expect(lastRequest().path).toBe('/v1/chat/completions');
    expect(lastRequest().headers.authorization).toBe(`Bearer ${SERVER_OPENAI_KEY}`);
    expect(JSON.stringify(lastRequest().headers)).not.toContain('sk-chat');
    expect(await settled(t.url, 'sk-chat')).toMatchObject({ used: completion.usage!.total_tokens, reserved: 0 });
  });

  it('chat stream: the gateway asks for the usage chunk the caller did not, and charges it', async () => {
    const stream = await openai('chat-stream').chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50, stream: true });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage ??= chunk.usage;
    }
    expect(text).toBe(FAKE_TEXT);
    expect(lastRequest().body.stream_options).toEqual({ include_usage: true });
    expect(usage!.total_tokens).toBe(lastReported());
    expect(await settled(t.url, 'sk-chat-stream')).toMatchObject({ used: usage!.total_tokens, reserved: 0 });
  });

  it('chat stream: the SSE bytes reach the client exactly as the provider sent them', async () => {
    const body = { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } };
    const direct = await (
      await fetch(`${fake.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).text();
    const response = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-raw-stream' },
      body: JSON.stringify(body),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toBe(direct);
    expect(direct).toContain('data: [DONE]');
    expect(await settled(t.url, 'sk-raw-stream')).toMatchObject({ used: lastReported() });
  });

  it('responses: non-streamed and streamed, each charged what the provider reported', async () => {
    const response = await openai('responses').responses.create({ model: 'gpt-4o-mini', input: 'Say something', max_output_tokens: 50 });
    expect(lastRequest().path).toBe('/v1/responses');
    expect(lastRequest().headers.authorization).toBe(`Bearer ${SERVER_OPENAI_KEY}`);
    expect(response.usage!.total_tokens).toBe(lastReported());
    expect(await settled(t.url, 'sk-responses')).toMatchObject({ used: response.usage!.total_tokens });

    const stream = await openai('responses-stream').responses.create({
      model: 'gpt-4o-mini',
      input: 'Say something',
      max_output_tokens: 50,
      stream: true,
    });
    let text = '';
    let usage: OpenAI.Responses.ResponseUsage | null | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    expect(text).toBe(FAKE_TEXT);
    expect(usage!.total_tokens).toBe(lastReported());
    expect(await settled(t.url, 'sk-responses-stream')).toMatchObject({ used: usage!.total_tokens });
  });

  it('embeddings: the prompt tokens the provider reported are charged', async () => {
    fake.knobDefaults = { 'x-fake-prompt-tokens': '37' };
    const result = await openai('embeddings').embeddings.create({ model: 'text-embedding-3-small', input: 'The quick brown fox' });
    expect(lastRequest().path).toBe('/v1/embeddings');
    expect(lastRequest().headers.authorization).toBe(`Bearer ${SERVER_OPENAI_KEY}`);
    expect(result.usage).toEqual({ prompt_tokens: 37, total_tokens: 37 });
    expect(result.data[0].embedding).toHaveLength(3);
    expect(await settled(t.url, 'sk-embeddings')).toMatchObject({ used: 37 });
  });

  it('anthropic messages: x-api-key is the server key, anthropic-version is passed on, usage charged', async () => {
    const client = new Anthropic({
      apiKey: 'sk-messages',
      baseURL: t.url,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-version': '2023-06-01' },
    });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: FAKE_TEXT });
    expect(lastRequest().path).toBe('/v1/messages');
    expect(lastRequest().headers['x-api-key']).toBe(SERVER_ANTHROPIC_KEY);
    expect(lastRequest().headers['anthropic-version']).toBe('2023-06-01');
    expect(lastRequest().headers.authorization).toBeUndefined();
    const total = message.usage.input_tokens + message.usage.output_tokens;
    expect(total).toBe(lastReported());
    expect(await settled(t.url, 'sk-messages')).toMatchObject({ used: total });
  });

  it('anthropic messages stream: message_start input plus message_delta output are charged', async () => {
    const message = await anthropic('messages-stream')
      .messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text', text: FAKE_TEXT });
    expect(lastRequest().headers['x-api-key']).toBe(SERVER_ANTHROPIC_KEY);
    const total = message.usage.input_tokens + message.usage.output_tokens;
    expect(total).toBe(lastReported());
    expect(await settled(t.url, 'sk-messages-stream')).toMatchObject({ used: total });
  });

  it.each([400, 429, 500, 503])('upstream %s: the provider status and body reach the SDK, nothing is counted', async (status) => {
    fake.knobDefaults = { 'x-fake-status': String(status) };
    const error = await openai('failing')
      .chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded'); // the fake's error body, passed on
    if (status === 429) expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
    const anthropicError = await anthropic('failing')
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect((anthropicError as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
    expect(await settled(t.url, 'sk-failing')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('upstream error on a streamed call: passed on, nothing is counted', async () => {
    fake.knobDefaults = { 'x-fake-status': '429' };
    const error = await openai('failing-stream')
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
      .catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect(await settled(t.url, 'sk-failing-stream')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('a caller that goes away before the upstream answered: the upstream request is aborted and the hold committed (the provider may bill it)', async () => {
    fake.knobDefaults = { 'x-fake-response-delay-ms': '3000' };
    const before = { requests: fake.requests.length, aborted: fake.aborted };
    const abort = new AbortController();
    const pending = fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-waiting' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 50 }),
      signal: abort.signal,
    }).catch((e: unknown) => e);
    await eventually(async () => fake.requests.length === before.requests + 1, 5_000);
    abort.abort();
    await pending;
    await eventually(async () => fake.aborted === before.aborted + 1, 5_000);
    // the estimate: the prompt and the whole max_tokens; before, aborting just before the answer cost nothing
    const budget = await settled(t.url, 'sk-waiting');
    expect(budget.reserved).toBe(0);
    expect(budget.used).toBeGreaterThan(50);
  });

  it('a caller that goes away mid-stream: the upstream call is cancelled and the hold settled', async () => {
    fake.knobDefaults = { 'x-fake-chunks': '200', 'x-fake-delay-ms': '20' };
    const before = fake.requests.length;
    const abort = new AbortController();
    const response = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-abort' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 50, stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect(fake.requests.length).toBe(before + 1);
    expect(fake.openStreams).toBe(1);
    abort.abort();
    await eventually(async () => fake.openStreams === 0, 5_000);
    const budget = await settled(t.url, 'sk-abort');
    expect(budget.reserved).toBe(0);
  });
});

describe.each(PLATFORMS)('gateway with an unreachable upstream on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    const port = await freePort(); // nothing listens there
    t = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `http://127.0.0.1:${port}/v1`, UPSTREAM_ANTHROPIC_URL: `http://127.0.0.1:${port}` },
      { keys: testKeys('lost') },
    );
  });
  afterAll(() => t?.close());

  it('answers 502 with a JSON error on both APIs and counts nothing', async () => {
    const openai = new OpenAI({ apiKey: 'sk-lost', baseURL: `${t.url}/v1`, maxRetries: 0 });
    const error = (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: 'upstream_error', code: 'upstream_unavailable' });
    expect(error.message).toContain('could not be reached');
    const anthropic = new Anthropic({ apiKey: 'sk-lost', baseURL: t.url, maxRetries: 0 });
    const aError = (await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(aError.status).toBe(502);
    expect(aError.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(await settled(t.url, 'sk-lost')).toMatchObject({ used: 0, reserved: 0 });
  });
});
