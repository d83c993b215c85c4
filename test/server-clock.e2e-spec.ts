import { Test } from '@nestjs/testing';
import type { Cluster, Redis } from 'ioredis';
import {
  BudgetExceededException,
  BudgetService,
  RedisAdapter,
  Reservation,
  TierThrottlerStorage,
  TokenBudgetModule,
} from 'nestjs-token-budget';
import { makeStorage, SHARED_KINDS, sharedClient, uniquePrefix } from './fixtures/storages';

const SKEW_MS = 120_000;
const LEASE_MS = 60_000; // shorter than the skew: on app clocks, the instance ahead would see the other's holds as lapsed

/** One app instance: a TokenBudgetModule on its own Redis client, with its own (skewed) app clock. */
async function instance(kind: (typeof SHARED_KINDS)[number], keyPrefix: string, offsetMs: number) {
  const store = makeStorage(kind);
  const moduleRef = await Test.createTestingModule({
    imports: [
      TokenBudgetModule.forRoot({
        storage: store.storage,
        keyPrefix,
        clock: () => Date.now() + offsetMs,
        leaseMs: LEASE_MS,
        budgets: [{ scope: 'user', period: 'month', tokens: 1_000 }],
      }),
    ],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return {
    budgets: moduleRef.get(BudgetService),
    rates: moduleRef.get(TierThrottlerStorage),
    storage: store.storage as RedisAdapter,
    close: async () => {
      await moduleRef.close();
      await store.close();
    },
  };
}

async function serverTime(client: Redis | Cluster): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe.each(SHARED_KINDS)('two instances whose clocks differ by 120 s, on %s', (kind) => {
  let keyPrefix: string;
  let behind: Awaited<ReturnType<typeof instance>>;
  let ahead: Awaited<ReturnType<typeof instance>>;
  let observer: Redis | Cluster;

  beforeEach(async () => {
    keyPrefix = uniquePrefix();
    observer = sharedClient(kind);
    [behind, ahead] = await Promise.all([instance(kind, keyPrefix, -SKEW_MS / 2), instance(kind, keyPrefix, SKEW_MS / 2)]);
  });
  afterEach(async () => {
    await Promise.all([behind.close(), ahead.close()]);
    await observer.quit();
  });

  it('build their period keys from the server clock, not their own', async () => {
    const before = await serverTime(observer);
    const [a, b] = await Promise.all([behind.budgets.now(), ahead.budgets.now()]);
    const after = await serverTime(observer);
    for (const estimate of [a, b]) {
      expect(estimate).toBeGreaterThanOrEqual(before - 1_000);
      expect(estimate).toBeLessThanOrEqual(after + 1_000);
    }
  });

  it('share one budget under concurrent requests: no hold of one is dropped by the other, nothing overshoots', async () => {
    const user = 'shared';
    const attempts = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? ahead : behind).budgets.reserve(user, 100)));
    const admitted = attempts.filter((a): a is PromiseFulfilledResult<Reservation> => a.status === 'fulfilled').map((a) => a.value);
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(admitted).toHaveLength(10);
    expect(refused.every((r) => r.reason instanceof BudgetExceededException)).toBe(true);
    // both instances built the same key, and every hold is still counted, whoever reads
    const [seenBehind] = await behind.budgets.getUsage(user);
    const [seenAhead] = await ahead.budgets.getUsage(user);
    expect(seenAhead.period).toBe(seenBehind.period);
    expect(seenBehind.period).toBe(new Date(await serverTime(observer)).toISOString().slice(0, 7));
    expect(seenBehind).toMatchObject({ used: 0, reserved: 1_000, remaining: 0 });
    expect(seenAhead).toMatchObject({ used: 0, reserved: 1_000, remaining: 0 });
    const key = `${keyPrefix}:budget:{user:${user}}:${seenBehind.period}`;
    expect(await observer.zcard(`${key}:leases`)).toBe(10);
    // a reserve by the instance ahead would drop the holds of the one behind if its clock decided
    await expect(ahead.budgets.reserve(user, 1)).rejects.toBeInstanceOf(BudgetExceededException);
    expect(await observer.zcard(`${key}:leases`)).toBe(10);
    await Promise.all(admitted.map((reservation) => reservation.commit(100)));
    expect((await ahead.budgets.getUsage(user))[0]).toMatchObject({ used: 1_000, reserved: 0, remaining: 0 });
    await expect(behind.budgets.reserve(user, 1)).rejects.toBeInstanceOf(BudgetExceededException);
  });

  it('count both instances’ requests in one tier window', async () => {
    const key = `${keyPrefix}:rate:{user:both}`;
    const before = await serverTime(observer);
    const records = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? ahead : behind).rates.hit(key, 60_000, 10, 0)));
    const after = await serverTime(observer);
    expect(records.filter((r) => !r.isBlocked)).toHaveLength(10);
    // one window: the same end for every answer, opened at the server's time of the first hit
    expect(new Set(records.map((r) => r.resetAt)).size).toBe(1);
    const start = Number(await observer.hget(key, 's'));
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(after);
    expect(records[0].resetAt).toBe(start + 60_000);
    expect(records.filter((r) => r.isBlocked).every((r) => r.timeToBlockExpire > 0 && r.timeToBlockExpire <= 60)).toBe(true);
  });
});

describe('a lease on the server clock', () => {
  it('lapses by the server’s time: a hold made with a 1 s lease is gone from reads once the server passed it', async () => {
    const store = makeStorage('redis');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TokenBudgetModule.forRoot({
          storage: store.storage,
          keyPrefix: uniquePrefix(),
          clock: () => 0,
          leaseMs: 1_000,
          budgets: [{ scope: 'user', period: 'month', tokens: 100 }],
        }),
      ],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    try {
      const budgets = moduleRef.get(BudgetService);
      await budgets.reserve('u', 100);
      // the app clock says 1970 for ever: only the server's time can make the lease lapse
      expect((await budgets.getUsage('u'))[0]).toMatchObject({ reserved: 100, remaining: 0 });
      const deadline = Date.now() + 10_000;
      while ((await budgets.getUsage('u'))[0].reserved !== 0) {
        if (Date.now() > deadline) throw new Error('the hold did not lapse within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await expect(budgets.reserve('u', 100)).resolves.toBeDefined();
    } finally {
      await moduleRef.close();
      await store.close();
    }
  });
});
