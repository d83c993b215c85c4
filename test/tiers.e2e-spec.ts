import { TierOptions } from 'nestjs-token-budget';
import { get, PLATFORMS, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';
import { makeStorage, SHARED_KINDS, uniquePrefix } from './fixtures/storages';
import { TierTestController } from './fixtures/tier-test.controller';

const MINUTE = 60_000;

const tiers: TierOptions = {
  definitions: { free: { limit: 5, ttl: MINUTE }, pro: { limit: 50, ttl: MINUTE } },
  default: 'free',
  assignments: { 'user-pro': 'pro' },
};

async function inBatches<T>(count: number, concurrency: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await run(i);
      }
    }),
  );
  return results;
}

describe.each(PLATFORMS.flatMap((platform) => SHARED_KINDS.map((kind) => [platform, kind] as const)))(
  'tier rate limits over 2 instances sharing one Redis (%s, %s)',
  (platform, kind) => {
    let apps: TestApp[];
    let stores: ReturnType<typeof makeStorage>[];
    const clock = new TestClock(Date.parse('2026-11-23T14:00:00.000Z'));

    beforeAll(async () => {
      const keyPrefix = uniquePrefix();
      stores = [makeStorage(kind, 'app'), makeStorage(kind, 'app')];
      apps = await Promise.all(
        stores.map((store) =>
          startBudgetApp(platform, { storage: store.storage, keyPrefix, clock: clock.read, tiers }, [TierTestController]),
        ),
      );
    });

    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(stores.map((store) => store.close()));
    });

    it('free: five 200 then 429 naming the tier and the reset; pro: all 200; then exactly the remaining allowance at concurrency 5', async () => {
      const free = { 'x-user': 'user-free' };
      const pro = { 'x-user': 'user-pro' };
      const six = [];
      for (let i = 0; i < 6; i++) six.push(await get(`${apps[i % 2].url}/tier/ping`, free));
      expect(six.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
      expect(six[0].headers.get('x-ratelimit-limit')).toBe('5');
      expect(six[4].headers.get('x-ratelimit-remaining')).toBe('0');
      const refused = six[5];
      expect(refused.body).toMatchObject({ statusCode: 429, error: 'tier_rate_limited', tier: 'free', limit: 5, remaining: 0 });
      expect(refused.body.message).toMatch(/'free' tier/);
      expect(refused.body.resetAt).toBe(new Date(clock.now + MINUTE).toISOString());
      expect(refused.headers.get('retry-after')).toBe('60');

      const proSix = [];
      for (let i = 0; i < 6; i++) proSix.push(await get(`${apps[i % 2].url}/tier/ping`, pro));
      expect(proSix.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(proSix[5].headers.get('x-ratelimit-remaining')).toBe('44');

      // the next window: the free user has 5 again; 50 requests at concurrency 5 over both instances
      clock.advance(MINUTE);
      const burst = await inBatches(50, 5, (i) => get(`${apps[i % 2].url}/tier/ping`, free));
      expect(burst.filter((r) => r.status === 200)).toHaveLength(5);
      expect(burst.filter((r) => r.status === 429)).toHaveLength(45);
      expect((await get(`${apps[0].url}/tier/ping`, pro)).status).toBe(200);
      expect((await get(`${apps[1].url}/tier/ping`, pro)).status).toBe(200);
    });
  },
);
