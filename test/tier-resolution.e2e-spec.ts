import { BudgetService, TierOptions } from 'nestjs-token-budget';
import { get, PLATFORMS, post, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { makeStorage, uniquePrefix } from './fixtures/storages';
import { TierTestController } from './fixtures/tier-test.controller';

describe.each(PLATFORMS)('tier resolution and budget overrides (%s)', (platform) => {
  const clock = new TestClock(Date.parse('2026-11-23T14:00:00.000Z'));
  const billing = new Map<string, string>();
  let lookups = 0;
  let app: TestApp;
  let store: ReturnType<typeof makeStorage>;
  const tiers: TierOptions = {
    definitions: {
      free: { limit: 1, ttl: 60_000, budgets: { month: 100 }, tokensPerMinute: 80 },
      pro: { limit: 50, ttl: 60_000, budgets: { 'user:month': 10_000 } },
    },
    default: 'free',
    resolve: async (userId) => {
      lookups++;
      await new Promise((resolve) => setImmediate(resolve));
      return billing.get(userId);
    },
    cacheTtlMs: 5_000,
  };

  beforeAll(async () => {
    store = makeStorage('redis', 'app');
    app = await startBudgetApp(
      platform,
      {
        storage: store.storage,
        keyPrefix: uniquePrefix(),
        clock: clock.read,
        tiers,
        budgets: [{ scope: 'user', period: 'month', tokens: 1_000 }],
      },
      [TierTestController],
    );
  });

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('a tier change in the resolver takes effect once the cached tier is older than cacheTtlMs, not before', async () => {
    const user = { 'x-user': 'upgrading-user' };
    billing.set('upgrading-user', 'free');
    expect((await get(`${app.url}/tier/ping`, user)).status).toBe(200);
    expect((await get(`${app.url}/tier/ping`, user)).status).toBe(429);
    const asked = lookups;
    billing.set('upgrading-user', 'pro');
    clock.advance(4_999);
    const stillFree = await get(`${app.url}/tier/ping`, user);
    expect(stillFree.status).toBe(429);
    expect(stillFree.body.tier).toBe('free');
    expect(lookups).toBe(asked);
    clock.advance(1);
    const upgraded = await get(`${app.url}/tier/ping`, user);
    expect(upgraded.status).toBe(200);
    expect(upgraded.headers.get('x-ratelimit-limit')).toBe('50');
    expect(lookups).toBe(asked + 1);
  });

  it("a tier's budgets replace the matching user budget's limit, and tokensPerMinute adds a per-minute budget", async () => {
    billing.set('free-spender', 'free');
    billing.set('pro-spender', 'pro');
    clock.advance(60_000);
    const free = await post(`${app.url}/tier/chat`, { estimate: 90 }, { 'x-user': 'free-spender' });
    expect(free.status).toBe(429);
    expect(free.body).toMatchObject({ error: 'budget_exceeded', reason: 'user_token_limit_exceeded', limit: 80 }); // 80 tokens per minute
    const pro = await post(`${app.url}/tier/chat`, { estimate: 5_000 }, { 'x-user': 'pro-spender' });
    expect(pro.status).toBe(200);
    expect(pro.headers.get('x-tokenbudget-limit')).toBe('10000');
  });
});

describe('tier budgets through BudgetService (no HTTP)', () => {
  let env: Awaited<ReturnType<typeof budgetService>>;
  let budgets: BudgetService;

  beforeAll(async () => {
    env = await budgetService({
      keyPrefix: uniquePrefix(),
      budgets: [{ scope: 'user', period: 'month', tokens: 1_000 }],
      tiers: {
        definitions: { free: { limit: 5, budgets: { month: 100 } }, pro: { limit: 50 } },
        default: 'free',
        assignments: { vip: 'pro' },
      },
    });
    budgets = env.budgets;
  });

  afterAll(() => env.close());

  it('applies the tier of the user to check, reserve and getUsage', async () => {
    expect((await budgets.check('someone', 150)).allowed).toBe(false);
    await expect(budgets.reserve('someone', 150)).rejects.toMatchObject({ info: { limit: 100 } });
    expect((await budgets.check('vip', 150)).allowed).toBe(true);
    const [usage] = await budgets.getUsage('someone');
    expect(usage).toMatchObject({ name: 'user:month', limit: 100 });
    expect((await budgets.getUsage('vip'))[0]).toMatchObject({ limit: 1_000 });
  });
});
