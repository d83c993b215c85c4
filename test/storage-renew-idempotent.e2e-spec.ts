import type Redis from 'ioredis';
import { BudgetCounter, BudgetService, MemoryAdapter, RedisAdapter, StorageAdapter } from 'nestjs-token-budget';
import { scriptKeys } from '../libs/token-budget/src/storage/redis-marshalling';
import { TestClock } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { makeStorage, STORAGE_KINDS, testRedis, uniquePrefix } from './fixtures/storages';

const counter = (key: string, limit = 1_000): BudgetCounter => ({ key, limit, costLimit: 0, maxCarryover: 0, expireAt: Infinity });

describe.each(STORAGE_KINDS)('renew and idempotent commits on %s', (kind) => {
  let store: ReturnType<typeof makeStorage>;
  let storage: StorageAdapter;
  let prefix: string;
  const now = Date.parse('2026-12-04T10:00:00Z');
  beforeEach(() => {
    store = makeStorage(kind, 'app');
    storage = store.storage;
    prefix = uniquePrefix();
  });
  afterEach(() => store.close());

  it('renew moves a live lease past its first end, and says false once nothing holds it', async () => {
    const counters = [counter(`${prefix}:budget:{user:a}:d`), counter(`${prefix}:budget:{global:all}:d`, 5_000)];
    await storage.reserve({ id: 'r1', counters, amount: 400, cost: 0, leaseUntil: now + 1_000, now });
    // renewed twice, each time before the lease ends: held long after the first lease
    expect(await storage.renew!({ id: 'r1', counters, leaseUntil: now + 1_900, now: now + 900 })).toBe(true);
    expect(await storage.renew!({ id: 'r1', counters, leaseUntil: now + 2_800, now: now + 1_800 })).toBe(true);
    expect((await storage.read(counters, now + 2_500)).map((s) => s.reserved)).toEqual([400, 400]);
    // a renewal never shortens a lease
    await storage.renew!({ id: 'r1', counters, leaseUntil: now + 1_000, now: now + 900 });
    expect((await storage.read(counters, now + 2_500)).map((s) => s.reserved)).toEqual([400, 400]);
    // not renewed any more: it lapses at its last lease end
    expect((await storage.read(counters, now + 2_800)).map((s) => s.reserved)).toEqual([0, 0]);
    expect(await storage.renew!({ id: 'r1', counters, leaseUntil: now + 4_000, now: now + 3_000 })).toBe(false);
    // a settled reservation is not brought back by a renewal
    const later = now + 5_000;
    await storage.reserve({ id: 'r2', counters, amount: 100, cost: 0, leaseUntil: later + 10_000, now: later });
    await storage.commit({ id: 'r2', counters, amount: 80, cost: 0, now: later + 1 });
    expect(await storage.renew!({ id: 'r2', counters, leaseUntil: later + 20_000, now: later + 2 })).toBe(false);
    expect((await storage.read(counters, later + 3)).map((s) => [s.used, s.reserved])).toEqual([
      [80, 0],
      [80, 0],
    ]);
  });

  if (kind === 'memory') return;

  it('counts a commit retried with the same reservation id once, and a late commit of a lapsed hold still once', async () => {
    const counters = [counter(`${prefix}:budget:{user:a}:d`), counter(`${prefix}:budget:{global:all}:d`, 5_000)];
    await storage.reserve({ id: 'c1', counters, amount: 300, cost: 5_000, leaseUntil: now + 1_000, now });
    for (let i = 0; i < 3; i++) await storage.commit({ id: 'c1', counters, amount: 250, cost: 4_000, now: now + 10 + i });
    expect((await storage.read(counters, now + 20)).map((s) => [s.used, s.reserved, s.costUsed, s.requests])).toEqual([
      [250, 0, 4_000, 1],
      [250, 0, 4_000, 1],
    ]);
    // a hold that lapsed, then its commit (late) and a retry of it
    await storage.reserve({ id: 'c2', counters, amount: 100, cost: 0, leaseUntil: now + 1_000, now });
    await storage.commit({ id: 'c2', counters, amount: 90, cost: 0, now: now + 5_000 });
    await storage.commit({ id: 'c2', counters, amount: 90, cost: 0, now: now + 5_001 });
    expect((await storage.read(counters, now + 5_002)).map((s) => [s.used, s.reserved, s.requests])).toEqual([
      [340, 0, 2],
      [340, 0, 2],
    ]);
  });
});

describe('a cross-slot commit that landed on some slots only, its instance gone (RedisAdapter scripts)', () => {
  let redis: Redis;
  let storage: RedisAdapter;
  beforeEach(() => {
    redis = testRedis();
    storage = new RedisAdapter(redis, { timeSource: 'app' });
  });
  afterEach(() => redis.quit());

  it('charges the prepared usage when the un-committed hold lapses, in reads and in the sweep, once', async () => {
    const prefix = uniquePrefix();
    const now = Date.parse('2026-12-04T10:00:00Z');
    const user = counter(`${prefix}:budget:{user:a}:d`);
    const global = counter(`${prefix}:budget:{global:all}:d`, 5_000);
    const counters = [user, global];
    await storage.reserve({ id: 'x1', counters, amount: 300, cost: 7_000, leaseUntil: now + 1_000, now });
    // what a Cluster commit does first on every slot, then the commit that reached one slot only
    const scripts = storage as unknown as { client: Redis & { tokenBudgetPrepareCommit(...args: unknown[]): Promise<unknown> } };
    await scripts.client.tokenBudgetPrepareCommit(14, ...scriptKeys(counters), now + 10, 'x1', 120, 2_000);
    await storage.commit({ id: 'x1', counters: [user], amount: 120, cost: 2_000, now: now + 20 });
    // before the lease ends, the global counter still holds the reservation
    expect((await storage.read(counters, now + 500)).map((s) => [s.used, s.reserved, s.costUsed])).toEqual([
      [120, 0, 2_000],
      [0, 300, 0],
    ]);
    // once it lapses, reads count the prepared usage at once...
    expect((await storage.read(counters, now + 1_500)).map((s) => [s.used, s.reserved, s.costUsed, s.requests])).toEqual([
      [120, 0, 2_000, 1],
      [120, 0, 2_000, 1],
    ]);
    // ...the sweep of a later reserve charges it, and a retried commit of the same id adds nothing
    await storage.reserve({ id: 'x2', counters: [global], amount: 10, cost: 0, leaseUntil: now + 10_000, now: now + 1_600 });
    await storage.commit({ id: 'x1', counters, amount: 120, cost: 2_000, now: now + 1_700 });
    await storage.release({ id: 'x2', counters: [global], now: now + 1_800 });
    expect((await storage.read(counters, now + 1_900)).map((s) => [s.used, s.reserved, s.costUsed, s.requests])).toEqual([
      [120, 0, 2_000, 1],
      [120, 0, 2_000, 1],
    ]);
    expect(await redis.hget(global.key, 'used')).toBe('120');
  });
});

describe.each(['memory', 'redis'] as const)('a storage adapter without renew (%s, wrapped)', (kind) => {
  it('still admits, commits and releases; leases are just not renewed', async () => {
    const store = makeStorage(kind, 'app');
    const inner = store.storage;
    // a third-party adapter: only the required operations, by delegation (no instanceof)
    const minimal: StorageAdapter = {
      reserve: (r) => inner.reserve(r),
      commit: (r) => inner.commit(r),
      release: (r) => inner.release(r),
      read: (c, n) => inner.read(c, n),
      delete: (k) => inner.delete(k),
    };
    const clock = new TestClock(Date.parse('2026-12-04T10:00:00Z'));
    const env: { budgets: BudgetService; close(): Promise<void> } = await budgetService({
      storage: minimal,
      keyPrefix: uniquePrefix(),
      clock: clock.read,
      leaseMs: 30,
      budgets: [{ scope: 'user', period: 'day', tokens: 100 }],
    });
    try {
      const result = await env.budgets.track('u', async () => ({ usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } }), {
        estimate: 50,
      });
      expect(result.usage.total_tokens).toBe(12);
      const held = await env.budgets.reserve('u', 40);
      held.keepAlive(); // nothing to renew with: a no-op, never an error
      expect(env.budgets.settlement.kept).toBe(0);
      await held.release();
      expect((await env.budgets.getUsage('u'))[0]).toMatchObject({ used: 12, reserved: 0 });
    } finally {
      await env.close();
      await store.close();
      if (inner instanceof MemoryAdapter) inner.onModuleDestroy();
    }
  });
});
