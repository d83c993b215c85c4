import { BudgetService } from 'nestjs-token-budget';
import { countTokens } from '../libs/token-budget/src/tokens/tokenizer';
import { eventually, PLATFORMS, TestApp, TestClock } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { deltaText, readSse } from './fixtures/sse-client';
import { startStreamApp } from './fixtures/stream-test.controller';

const text = (chunks: number) => Array.from({ length: chunks }, (_, i) => FakeProvider.chunkText(i)).join('');

describe.each(PLATFORMS)('@Sse() route whose client leaves mid-stream on %s', (platform) => {
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
    t?.app.getHttpServer().closeAllConnections();
    await t?.close();
    await upstream.close();
  });

  it.each([
    ['an openai stream', 'sse/chat', 'gpt-4o-mini', 0],
    ['an Anthropic stream', 'sse/anthropic', 'claude-sonnet-4-5', 25],
  ])('%s: charged for the chunks streamed before the lease, the upstream aborted', async (_name, path, model, input) => {
    const user = `${platform}-${path}-sse-leaves`;
    const id = `${user}-${Date.now()}`;
    const abort = new AbortController();
    const response = await fetch(`${t.url}/${path}`, {
      headers: { 'x-user': user, 'x-fake-id': id, 'x-fake-chunks': '100', 'x-fake-delay-ms': '60', 'x-fake-prompt-tokens': '25' },
      signal: abort.signal,
    });
    let chunks = 0;
    await readSse(response, (event) => (deltaText(event.data) ? ++chunks : chunks) < 10);
    abort.abort();
    const budgets = t.app.get(BudgetService);
    // settled by the disconnect, not by the lease (the clock does not move)
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 5_000);
    const { used } = (await budgets.getUsage(user))[0];
    expect(used).toBeGreaterThanOrEqual(input + countTokens(text(10), model));
    expect(used).toBeLessThanOrEqual(input + countTokens(text(12), model));
    await eventually(async () => !upstream.openStreams);
    expect(upstream.sent.get(id)!.length).toBeLessThanOrEqual(13);
  });
});

describe.each(PLATFORMS)('@Sse() route whose client leaves before the upstream answered on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, { budgets: [{ scope: 'user', period: 'day', tokens: 1_000_000 }] });
  });
  afterAll(async () => {
    t?.app.getHttpServer().closeAllConnections();
    await t?.close();
    await upstream.close();
  });

  it('the SDK stream that arrives after the client left is aborted, not left running unread', async () => {
    const user = `${platform}-sse-leaves-early`;
    const id = `${user}-${Date.now()}`;
    const abort = new AbortController();
    const response = await fetch(`${t.url}/sse/chat`, {
      headers: { 'x-user': user, 'x-fake-id': id, 'x-fake-response-delay-ms': '300', 'x-fake-chunks': '100', 'x-fake-delay-ms': '20' },
      signal: abort.signal,
    });
    expect(response.ok).toBe(true);
    abort.abort();
    const budgets = t.app.get(BudgetService);
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 3_000);
    await eventually(async () => upstream.sent.has(id) && !upstream.openStreams, 5_000);
    expect(upstream.sent.get(id)!.length).toBeLessThan(20);
  });
});
