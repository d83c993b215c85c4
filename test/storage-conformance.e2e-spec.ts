import type { Cluster, Redis } from 'ioredis';
import { RateWindowStore, RedisAdapter, RedisRateWindow, RedisTimeSource } from 'nestjs-token-budget';
import { describeStorageAdapter, StorageCapability } from 'nestjs-token-budget/testing';
import { testCluster, testRedis, uniquePrefix } from './fixtures/storages';

/**
 * The storage conformance kit (nestjs-token-budget/testing) on RedisAdapter: a real redis-server on
 * the server's clock (the default) and on the app's (the kit then moves time through `now`), and the
 * real 3-master Redis Cluster of the e2e setup, where counters of different subjects sit on
 * different slots. Every case writes under a prefix of its own.
 */

/** RedisAdapter with rate windows: its own `hit` when it has one, else a RedisRateWindow on its client. */
function withRateWindows(adapter: RedisAdapter): RedisAdapter & RateWindowStore {
  if (typeof (adapter as Partial<RateWindowStore>).hit === 'function') return adapter as RedisAdapter & RateWindowStore;
  const windows = new RedisRateWindow(adapter.client, adapter.timeSource);
  return Object.assign(adapter, { hit: windows.hit.bind(windows) });
}

const REDIS_CAPABILITIES: StorageCapability[] = ['renew', 'grant', 'setLimit', 'list', 'unindex', 'hit', 'idempotentCommit'];

const variants: { name: string; client: () => Redis | Cluster; timeSource: RedisTimeSource }[] = [
  { name: 'RedisAdapter on redis-server, server clock', client: testRedis, timeSource: 'server' },
  { name: 'RedisAdapter on redis-server, app clock', client: testRedis, timeSource: 'app' },
  { name: 'RedisAdapter on a 3-master Redis Cluster, server clock', client: testCluster, timeSource: 'server' },
];

for (const { name, client, timeSource } of variants) {
  describeStorageAdapter(name, {
    create: async () => {
      const adapter = withRateWindows(new RedisAdapter(client(), { timeSource }));
      await adapter.onModuleInit(); // the server's time known before the first case reads it
      return adapter;
    },
    destroy: async (adapter) => void (await adapter.client.quit()),
    capabilities: timeSource === 'server' ? [...REDIS_CAPABILITIES, 'now'] : REDIS_CAPABILITIES,
    keyPrefix: uniquePrefix(),
  });
}
