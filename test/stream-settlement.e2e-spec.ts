import Anthropic from '@anthropic-ai/sdk';
import { BudgetService } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { countTokens } from '../libs/token-budget/src/tokens/tokenizer';
import { eventually, PLATFORMS, TestApp, TestClock } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { deltaText, readSse } from './fixtures/sse-client';
import { makeStorage, STORAGE_KINDS, uniquePrefix } from './fixtures/storages';
import { startStreamApp } from './fixtures/stream-test.controller';

const text = (chunks: number) => Array.from({ length: chunks }, (_, i) => FakeProvider.chunkText(i)).join('');
const tokens = (chunks: number, model = 'gpt-4o-mini') => countTokens(text(chunks), model);

async function usageOf(t: TestApp, user: string) {
  return (await t.app.get(BudgetService).getUsage(user))[0];
}

async function settled(t: TestApp, user: string) {
  await eventually(async () => (await usageOf(t, user)).reserved === 0, 5_000);
  return usageOf(t, user);
}

const postJson = (url: string, headers: Record<string, string>, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}', signal });

/**
 * Closes the app and the upstream. Connections of requests the client aborted mid-body can linger
 * on the client side (undici), which would hold `app.close()`; they are cut first.
 */
async function closeAll(t: TestApp | undefined, upstream: FakeProvider): Promise<void> {
  t?.app.getHttpServer().closeAllConnections();
  await t?.close();
  await upstream.close();
}

describe.each(STORAGE_KINDS.flatMap((kind) => PLATFORMS.map((platform) => [kind, platform] as const)))(
  '200 concurrent streamed requests (%s storage, %s)',
  (kind, platform) => {
    it('commit exactly the usage the upstream reported, summed over every request', async () => {
      const upstream = await new FakeProvider().start();
      const store = makeStorage(kind);
      const t = await startStreamApp(platform, upstream.url, {
        storage: store.storage,
        keyPrefix: uniquePrefix(),
        budgets: [{ scope: 'user', period: 'day', tokens: 10_000_000 }],
      });
      try {
        // one request first, so that loading the tokenizer and the SDKs is not in the measured run
        await (await postJson(`${t.url}/raw/chat`, { 'x-user': `${kind}-${platform}-warm-up` })).text();
        upstream.reported.length = 0;
        const users = Array.from({ length: 10 }, (_, i) => `${kind}-${platform}-c${i}`);
        const calls = Array.from({ length: 200 }, async (_, i) => {
          const headers = {
            'x-user': users[i % users.length],
            'x-fake-chunks': String(5 + ((i * 7) % 20)),
            'x-fake-prompt-tokens': String(1 + ((i * 37) % 500)),
            'x-fake-delay-ms': '10',
            // no stream gets its first chunk before all 200 are open: they truly overlap
            'x-fake-hold-until-open': '200',
          };
          switch (i % 5) {
            case 0: {
              const client = new OpenAI({ apiKey: 'x', baseURL: `${t.url}/v1`, maxRetries: 0, defaultHeaders: headers });
              const stream = await client.chat.completions.create({
                model: 'gpt-4o-mini',
                messages: [{ role: 'user', content: 'Hi' }],
                stream: true,
              });
              for await (const chunk of stream) void chunk;
              return;
            }
            case 1: {
              const client = new Anthropic({ apiKey: 'x', baseURL: t.url, maxRetries: 0, defaultHeaders: headers });
              await client.messages
                .stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] })
                .finalMessage();
              return;
            }
            case 2:
              return void (await (await postJson(`${t.url}/raw/gemini`, headers)).text());
            case 3:
              return void (await (await postJson(`${t.url}/readable/ollama`, headers)).text());
            default:
              return void (await (await postJson(`${t.url}/responses`, headers)).text());
          }
        });
        await Promise.all(calls);
        expect(upstream.reported).toHaveLength(200);
        expect(upstream.maxOpen).toBe(200);
        const budgets = t.app.get(BudgetService);
        await eventually(async () => (await Promise.all(users.map((u) => budgets.getUsage(u)))).every(([u]) => u.reserved === 0), 10_000);
        const used = (await Promise.all(users.map((u) => budgets.getUsage(u)))).reduce((sum, [u]) => sum + u.used, 0);
        expect(used).toBe(upstream.reportedTotal);
      } finally {
        await t.close();
        await upstream.close();
        await store.close();
      }
    });
  },
);

describe.each(PLATFORMS)('settling cut-short streams on %s', (platform) => {
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, {
      clock: clock.read,
      leaseMs: 60_000,
      budgets: [{ scope: 'user', period: 'day', tokens: 1_000_000 }],
    });
  });
  afterAll(async () => {
    await closeAll(t, upstream);
  });

  it.each([
    // the handler set req.tokenBudget.inputEstimate = 9: OpenAI reports input only at the end
    ['openai SDK stream', 'v1/chat/completions', 'gpt-4o-mini', 9],
    ['Anthropic SDK stream', 'v1/messages', 'claude-sonnet-4-5', 25],
    ['raw Gemini bytes', 'raw/gemini', 'gemini-2.5-flash', 25],
  ])(
    '%s: a client that leaves after 10 of 100 chunks is charged for 10 chunks; the upstream is aborted and nothing stays reserved',
    async (_name, path, model, input) => {
      const user = `${platform}-${path}-leaves`;
      const id = `${user}-${Date.now()}`;
      const abort = new AbortController();
      const response = await fetch(`${t.url}/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-user': user,
          'x-fake-id': id,
          'x-fake-chunks': '100',
          'x-fake-delay-ms': '60',
          'x-fake-prompt-tokens': '25',
          'x-input-estimate': '9',
        },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
        signal: abort.signal,
      });
      let received = '';
      let chunks = 0;
      await readSse(response, (event) => {
        const delta = deltaText(event.data);
        if (delta) {
          received += delta;
          chunks++;
        }
        return chunks < 10;
      });
      abort.abort();
      expect(received).toBe(text(10));
      const usage = await settled(t, user);
      // chunks the app had forwarded before it saw the client leave are billed too: at most two more here
      expect(usage.used).toBeGreaterThanOrEqual(input + tokens(10, model));
      expect(usage.used).toBeLessThanOrEqual(input + tokens(12, model));
      await eventually(async () => upstream.sent.get(id)!.length < 100 && !upstream.openStreams);
      expect(upstream.sent.get(id)!.length).toBeLessThanOrEqual(13);
      clock.advance(60_001);
      expect(await usageOf(t, user)).toMatchObject({ used: usage.used, reserved: 0 });
    },
  );

  it.each([
    ['an Anthropic SDK stream', 'v1/messages'],
    ['raw Anthropic bytes', 'raw/anthropic'],
  ])('%s whose upstream fails mid-stream: what was streamed reaches the client and is committed, the rest released', async (name, path) => {
    const user = `${platform}-${path}-fails`;
    const response = await fetch(`${t.url}/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': user,
        'x-fake-chunks': '50',
        'x-fake-fail-after': '4',
        'x-fake-prompt-tokens': '25',
      },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const events = await readSse(response);
    expect(events.map((e) => deltaText(e.data)).join('')).toBe(text(4));
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);
    // chunk objects end with an error event the SDKs raise; raw bytes end like the upstream's did
    if (name.includes('SDK')) expect(events[events.length - 1]).toMatchObject({ event: 'error' });
    const usage = await settled(t, user);
    expect(usage.used).toBe(25 + tokens(4, 'claude-sonnet-4-5'));
  });

  it('a stream that never ends is released by the lease, and its late settlement still counts what was streamed', async () => {
    const user = `${platform}-never-ends`;
    const held = new AbortController();
    const open = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': user, 'x-fake-chunks': '6', 'x-fake-never-end': '1' },
      body: JSON.stringify({ stream: true }),
      signal: held.signal,
    });
    let chunks = 0;
    await readSse(open, (event) => (deltaText(event.data) ? ++chunks : chunks) < 6);
    expect(await usageOf(t, user)).toMatchObject({ used: 0, reserved: 2_000 });
    clock.advance(60_001);
    expect(await usageOf(t, user)).toMatchObject({ used: 0, reserved: 0 });
    held.abort();
    await eventually(async () => (await usageOf(t, user)).used > 0);
    expect(await usageOf(t, user)).toMatchObject({ used: tokens(6), reserved: 0 });
  });
});

describe.each(PLATFORMS)('malformed chunks on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, { budgets: [{ scope: 'user', period: 'day', tokens: 1_000_000 }] });
  });
  afterAll(async () => closeAll(t, upstream));

  it.each([
    ['raw/chat', '/v1/chat/completions', 'gpt-4o-mini'],
    ['raw/anthropic', '/v1/messages', 'claude-sonnet-4-5'],
    ['raw/gemini', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'gemini-2.5-flash'],
    ['readable/ollama', '/api/chat', 'gpt-4o-mini'],
  ])(
    '%s: invalid JSON and a usage field of the wrong type pass through untouched and do not change the count',
    async (path, upstreamPath, model) => {
      const user = `${platform}-${path}-malformed`;
      const knobs = { 'x-fake-chunks': '6', 'x-fake-malformed': '1', 'x-fake-prompt-tokens': '14' };
      const body = await (await postJson(`${t.url}/${path}`, { 'x-user': user, ...knobs })).text();
      const direct = await fetch(`${upstream.url}${upstreamPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...knobs },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }),
      }).then((r) => r.text());
      expect(body).toBe(direct);
      expect(body).toMatch(/"(prompt_tokens|output_tokens|candidatesTokenCount|prompt_eval_count)":"/);
      expect(await settled(t, user)).toMatchObject({ used: 14 + tokens(6, model) });
    },
  );
});

describe.each(PLATFORMS)('stopStreamWhenExhausted on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, { budgets: [{ scope: 'user', period: 'day', tokens: 40 }] });
  });
  afterAll(async () => closeAll(t, upstream));

  it.each([
    ['a POST route returning an openai stream', 'capped/chat', 'POST', 0],
    ['an @Sse() route over an Anthropic stream', 'capped/sse', 'GET', 12],
    ['raw SSE bytes', 'capped/raw/chat', 'POST', 0],
  ])('%s ends cleanly with a budget_exhausted event once the budget is spent', async (_name, path, method, input) => {
    const user = `${platform}-${path}-capped`;
    const id = `${user}-${Date.now()}`;
    const response = await fetch(`${t.url}/${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-user': user, 'x-fake-id': id, 'x-fake-chunks': '100', 'x-fake-delay-ms': '2' },
      body: method === 'POST' ? '{}' : undefined,
    });
    expect(response.ok).toBe(true);
    const events = await readSse(response);
    const last = events[events.length - 1];
    expect(last.event).toBe('budget_exhausted');
    expect(JSON.parse(last.data)).toMatchObject({ error: 'budget_exhausted' });
    const streamed = events.map((e) => deltaText(e.data)).join('');
    const chunks = streamed.length === 0 ? 0 : events.filter((e) => deltaText(e.data)).length;
    expect(streamed).toBe(text(chunks));
    expect(chunks).toBeLessThan(100);
    // cut at the first chunk that reaches the 40 tokens the user had
    expect(input + tokens(chunks)).toBeGreaterThanOrEqual(40);
    expect(input + tokens(chunks - 1)).toBeLessThan(40);
    const usage = await settled(t, user);
    expect(usage.used).toBe(input + tokens(chunks, path === 'capped/sse' ? 'claude-sonnet-4-5' : 'gpt-4o-mini'));
    await eventually(async () => !upstream.openStreams);
    expect(upstream.sent.get(id)!.length).toBeLessThan(100);
  });
});

describe.each(PLATFORMS)('stopStreamWhenExhausted as a module option on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, {
      stopStreamWhenExhausted: true,
      budgets: [{ scope: 'user', period: 'day', tokens: 2_030 }],
    });
  });
  afterAll(async () => closeAll(t, upstream));

  it('applies to routes that do not set it: the stream stops at what the user had left', async () => {
    const user = `${platform}-module-capped`;
    // 30 tokens left besides this request's hold of 2 000
    const response = await postJson(`${t.url}/raw/ollama`, { 'x-user': user, 'x-fake-chunks': '3000', 'x-fake-delay-ms': '0' });
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[lines.length - 1]).toMatchObject({ type: 'budget_exhausted' });
    const streamed = lines
      .slice(0, -1)
      .map((l) => l.message?.content ?? '')
      .join('');
    expect(countTokens(streamed)).toBeGreaterThanOrEqual(2_030);
    // A raw stream is cut between two reads of the upstream's body. Node 20's fetch hands it over in
    // small reads, so the cut comes long before the upstream's last line; Node 24's reads are larger
    // and the read that spends the budget can already hold that `done: true` line, with the
    // upstream's own usage: then those figures are what is committed (prompt_eval_count +
    // eval_count), otherwise the streamed text, counted.
    const done = lines.find((line) => line.done === true) as { prompt_eval_count: number; eval_count: number } | undefined;
    expect((await settled(t, user)).used).toBe(done ? done.prompt_eval_count + done.eval_count : countTokens(streamed));
  });
});
