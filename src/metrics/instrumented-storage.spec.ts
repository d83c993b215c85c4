import { MemoryAdapter, RedisAdapter, StorageAdapter, TierThrottlerStorage, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { GatewayMetrics } from './gateway-metrics';
import { instrumentStorage } from './instrumented-storage';

const counter = { key: 'k', limit: 10, costLimit: 0, maxCarryover: 0, expireAt: 1e12 };
const count = async (metrics: GatewayMetrics, name: string) => (await metrics.registry.getSingleMetricAsString(name)).split('\n');

describe('instrumentStorage', () => {
  it('keeps a synchronous adapter synchronous and its identity, and times reserve and commit', async () => {
    const metrics = new GatewayMetrics();
    const memory = new MemoryAdapter();
    const storage = instrumentStorage(memory, metrics);
    expect(storage).toBeInstanceOf(MemoryAdapter);
    const reserved = storage.reserve({ id: 'r', counters: [counter], amount: 4, cost: 0, leaseUntil: 1e12, now: 0 });
    expect(reserved).toMatchObject({ admitted: true, held: 4 }); // not a Promise
    storage.commit({ id: 'r', counters: [counter], amount: 3, cost: 0, now: 0 });
    expect(storage.read([counter], 0)).toEqual([expect.objectContaining({ used: 3, reserved: 0 })]);
    expect(await count(metrics, 'tokenbudget_reservation_seconds')).toContain('tokenbudget_reservation_seconds_count 1');
    expect(await count(metrics, 'tokenbudget_commit_seconds')).toContain('tokenbudget_commit_seconds_count 1');
    memory.onModuleDestroy();
  });

  it('counts thrown and rejected calls by operation, and passes the error on', async () => {
    const metrics = new GatewayMetrics();
    const failing = {
      reserve: () => {
        throw new Error('down');
      },
      commit: () => Promise.reject(new Error('down')),
      release: () => undefined,
      read: () => [],
      delete: () => undefined,
    } as unknown as StorageAdapter;
    const storage = instrumentStorage(failing, metrics);
    expect(() => storage.reserve({ id: 'r', counters: [counter], amount: 1, cost: 0, leaseUntil: 1, now: 0 })).toThrow('down');
    await expect(storage.commit({ id: 'r', counters: [counter], amount: 1, cost: 0, now: 0 })).rejects.toThrow('down');
    const errors = await count(metrics, 'tokenbudget_storage_errors_total');
    expect(errors).toContain('tokenbudget_storage_errors_total{operation="reserve"} 1');
    expect(errors).toContain('tokenbudget_storage_errors_total{operation="commit"} 1');
    expect(await count(metrics, 'tokenbudget_reservation_seconds')).toContain('tokenbudget_reservation_seconds_count 0');
  });

  it("forwards hit (tier rate windows) and the clock, so throttler storages on the wrapper share the adapter's windows", () => {
    const memory = new MemoryAdapter();
    const storage = instrumentStorage(memory, new GatewayMetrics());
    const options = { clock: () => 1_000 } as TokenBudgetModuleOptions;
    const [a, b] = [new TierThrottlerStorage(storage, options), new TierThrottlerStorage(storage, options)];
    const blocked = (throttler: TierThrottlerStorage) =>
      (throttler.hit('tokenbudget:rate:{user:1}', 60_000, 2, 0) as { isBlocked: boolean }).isBlocked;
    expect([blocked(a), blocked(b), blocked(a)]).toEqual([false, false, true]);
    const redis = new RedisAdapter({ lazyConnect: true });
    expect(instrumentStorage(redis, new GatewayMetrics()).now).toBe(redis.now);
    redis.client.disconnect();
    memory.onModuleDestroy();
  });

  it('leaves a RedisAdapter recognisable, so tier rates still use its client', () => {
    const redis = new RedisAdapter({ lazyConnect: true });
    const storage = instrumentStorage(redis, new GatewayMetrics());
    expect(storage).toBeInstanceOf(RedisAdapter);
    expect((storage as RedisAdapter).client).toBe(redis.client);
    redis.client.disconnect();
  });
});
