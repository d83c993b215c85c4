import { BudgetService, RedisAdapter } from 'nestjs-token-budget';
import { PLATFORMS, post, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';
import { testRedis, uniquePrefix } from './fixtures/storages';

const N = 1_000; // tokens per call: estimate and actual; at gpt-4o-mini's output price, $0.0006
const CAP_USD = 0.03; // 50 calls
const REQUESTS = 120;
const result = { object: 'chat.completion', model: 'gpt-4o-mini', usage: { prompt_tokens: 0, completion_tokens: N, total_tokens: N } };

describe.each(PLATFORMS)('cost budgets over HTTP on %s', (platform) => {
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  let t: TestApp;
  let redis: ReturnType<typeof testRedis>;
  beforeEach(async () => {
    redis = testRedis();
    t = await startBudgetApp(platform, {
      storage: new RedisAdapter(redis, { timeSource: 'app' }),
      keyPrefix: uniquePrefix(),
      clock: clock.read,
      defaultModel: 'gpt-4o-mini',
      budgets: [{ scope: 'user', period: 'day', costUsd: CAP_USD }],
    });
  });
  afterEach(async () => {
    await t.close();
    await redis.quit();
  });

  it(`admits exactly the floor of ${REQUESTS} concurrent requests on a cost cap, commits priced usage, and answers 429 with the cost reason`, async () => {
    // the handler answers after 20 ms, like an upstream call, so holds of requests in flight overlap
    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, () => post(`${t.url}/slow-echo`, { estimate: N, result }, { 'x-user': 'payer' })),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(50);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(REQUESTS - 50);
    expect(refused[0].body).toMatchObject({
      error: 'budget_exceeded',
      reason: 'user_cost_limit_exceeded',
      scope: 'user',
      unit: 'usd',
      limit: CAP_USD,
    });
    expect(refused[0].headers.get('x-tokenbudget-cost-limit')).toBe(String(CAP_USD));
    expect(refused[0].headers.get('retry-after')).toBe(String((Date.parse('2026-11-24T00:00:00Z') - clock.now) / 1000));
    const [usage] = await t.app.get(BudgetService).getUsage('payer');
    expect(usage).toMatchObject({ costUsd: CAP_USD, costReservedUsd: 0, costRemainingUsd: 0, requests: 50, used: 50 * N });
  });
});
