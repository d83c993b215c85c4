import { BudgetService } from 'nestjs-token-budget';
import { countTokens } from '../libs/token-budget/src/tokens/tokenizer';
import { eventually, PLATFORMS, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { deltaText, readSse } from './fixtures/sse-client';
import { startStreamApp } from './fixtures/stream-test.controller';

const text = (chunks: number) => Array.from({ length: chunks }, (_, i) => FakeProvider.chunkText(i)).join('');

/**
 * Under `reservationPolicy: 'clamp'` a request whose estimate is larger than what the user has left
 * is admitted with a hold of what is left. stopStreamWhenExhausted must stop the stream at what
 * the user had (the remaining budget plus that clamped hold), not at the unclamped estimate.
 */
describe.each(PLATFORMS)('stopStreamWhenExhausted under the clamp policy on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, {
      reservationPolicy: 'clamp',
      stopStreamWhenExhausted: true,
      budgets: [{ scope: 'user', period: 'day', tokens: 40 }],
    });
  });
  afterAll(async () => {
    t?.app.getHttpServer().closeAllConnections();
    await t?.close();
    await upstream.close();
  });

  it('a clamped hold (estimate 2 000, 40 tokens left) is cut at the 40 tokens the user had', async () => {
    const user = `${platform}-clamped-cut`;
    const id = `${user}-${Date.now()}`;
    const response = await fetch(`${t.url}/raw/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': user, 'x-fake-id': id, 'x-fake-chunks': '200', 'x-fake-delay-ms': '1' },
      body: '{}',
    });
    expect(response.ok).toBe(true);
    const events = await readSse(response);
    expect(events[events.length - 1].event).toBe('budget_exhausted');
    const chunks = events.filter((e) => deltaText(e.data)).length;
    expect(events.map((e) => deltaText(e.data)).join('')).toBe(text(chunks));
    // cut at the first chunk that reaches the 40 tokens the user had (no input estimate on this route)
    expect(countTokens(text(chunks))).toBeGreaterThanOrEqual(40);
    expect(countTokens(text(chunks - 1))).toBeLessThan(40);
    const budgets = t.app.get(BudgetService);
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 5_000);
    expect((await budgets.getUsage(user))[0].used).toBe(countTokens(text(chunks)));
  });
});
