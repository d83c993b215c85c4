import { BudgetService } from 'nestjs-token-budget';
import { eventually, PLATFORMS, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { startStreamApp } from './fixtures/stream-test.controller';

describe.each(PLATFORMS)('a POST stream route whose client leaves before the upstream answered on %s', (platform) => {
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

  it.each(['v1/chat/completions', 'raw/chat'])(
    '%s: the stream that arrives after the client left is aborted and its hold settled',
    async (path) => {
      const user = `${platform}-${path}-post-leaves-early`;
      const id = `${user}-${Date.now()}`;
      const abort = new AbortController();
      const pending = fetch(`${t.url}/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-user': user,
          'x-fake-id': id,
          'x-fake-response-delay-ms': '300',
          'x-fake-chunks': '100',
          'x-fake-delay-ms': '20',
        },
        body: JSON.stringify({ stream: true }),
        signal: abort.signal,
      }).catch(() => undefined);
      const budgets = t.app.get(BudgetService);
      await eventually(async () => (await budgets.getUsage(user))[0].reserved > 0);
      abort.abort();
      await pending;
      await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 10_000);
      await eventually(async () => upstream.sent.has(id) && !upstream.openStreams, 5_000);
      expect(upstream.sent.get(id)!.length).toBeLessThan(20);
    },
  );

  it('an Anthropic stream whose client left before its first event went out is charged the input message_start reported, not the whole estimate', async () => {
    const user = `${platform}-anthropic-post-leaves-early`;
    const id = `${user}-${Date.now()}`;
    const abort = new AbortController();
    const pending = fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': user,
        'x-fake-id': id,
        'x-fake-response-delay-ms': '300',
        'x-fake-chunks': '100',
        'x-fake-delay-ms': '20',
        'x-fake-prompt-tokens': '25',
      },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
      signal: abort.signal,
    }).catch(() => undefined);
    const budgets = t.app.get(BudgetService);
    await eventually(async () => (await budgets.getUsage(user))[0].reserved > 0);
    abort.abort();
    await pending;
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 10_000);
    // message_start reported 25 input tokens (and 1 output); the route's estimate is 2 000
    expect((await budgets.getUsage(user))[0].used).toBe(26);
  });
});
