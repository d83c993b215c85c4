import { BudgetService, TierOptions } from 'nestjs-token-budget';
import { PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';
import { makeStorage, STORAGE_KINDS, uniquePrefix } from './fixtures/storages';
import { TierTestController } from './fixtures/tier-test.controller';

/** USD per million tokens: the model the client asks for, and the tier's cheaper one (10x less). */
const pricing = { 'big-model': { input: 10, output: 10 }, 'small-model': { input: 1, output: 1 } };
const body = { model: 'big-model', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 1_000 };

describe.each(PLATFORMS)('a degraded request on a cost budget (%s)', (platform) => {
  describe.each(STORAGE_KINDS)('%s storage', (kind) => {
    let app: TestApp;
    let store: ReturnType<typeof makeStorage>;

    beforeAll(async () => {
      store = makeStorage(kind);
      const tiers: TierOptions = {
        definitions: { free: { limit: 1, ttl: 60_000, degradeTo: 'small-model' } },
        default: 'free',
        enforce: 'degrade',
      };
      // about 1,010 tokens: $0.0101 at big-model's price, $0.00101 at small-model's; the user has $0.005
      const budgets = [{ scope: 'user' as const, period: 'month' as const, costUsd: 0.005 }];
      app = await startBudgetApp(platform, { storage: store.storage, keyPrefix: uniquePrefix(), tiers, pricing, budgets }, [
        TierTestController,
      ]);
    });

    afterAll(async () => {
      await app.close();
      await store.close();
    });

    it('holds and commits the body estimate at the price of the model it is served with', async () => {
      const user = { 'x-user': 'degraded-payer' };
      // within the rate: served with big-model, whose estimate does not fit the money left
      const first = await post(`${app.url}/tier/completions`, body, user);
      expect(first.status).toBe(429);
      expect(first.body).toMatchObject({ reason: 'user_cost_limit_exceeded' });

      // over the rate: served with small-model, whose estimate fits
      const second = await post(`${app.url}/tier/completions`, body, user);
      expect(second.headers.get('x-tokenbudget-degraded')).toBe('small-model');
      expect(second.status).toBe(200);
      expect(second.body.model).toBe('small-model');

      const [usage] = await app.app.get(BudgetService).getUsage({ user: 'degraded-payer' });
      // the estimate was committed (the handler reported no usage), priced at small-model: $1 per million tokens
      expect(usage.used).toBeGreaterThan(1_000);
      expect(usage.costUsd).toBeCloseTo(usage.used / 1_000_000, 9);
    });
  });
});
