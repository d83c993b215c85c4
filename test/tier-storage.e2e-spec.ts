import Redis, { Cluster } from 'ioredis';
import { RedisAdapter, TierThrottlerStorage, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { testRedis, uniquePrefix } from './fixtures/storages';
import { RedisClusterHandle, startRedisCluster } from './setup/redis-cluster';

async function evalshaCalls(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

const connectedClients = async (redis: Redis) => Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1]);

function tierStorage(adapter: RedisAdapter, now: () => number): TierThrottlerStorage {
  return new TierThrottlerStorage(adapter, { clock: now } as TokenBudgetModuleOptions);
}

describe('TierThrottlerStorage on a real redis-server', () => {
  let clients: Redis[];
  let observer: Redis;
  const now = Date.parse('2026-11-23T14:00:00Z');

  beforeAll(async () => {
    observer = testRedis();
    clients = [testRedis(), testRedis()];
    await Promise.all(clients.map((client) => client.ping()));
  });

  afterAll(async () => {
    await Promise.all([observer, ...clients].map((client) => client.quit()));
  });

  it('counts a hit with one script call on the adapter’s own connection, in a hash-tagged key that expires after two windows', async () => {
    const before = await connectedClients(observer);
    const storage = tierStorage(new RedisAdapter(clients[0], { timeSource: 'app' }), () => now);
    const key = `${uniquePrefix()}:rate:{user:42}`;
    await storage.increment(key, 60_000, 5, 0, 'default'); // loads the script
    expect(await connectedClients(observer)).toBe(before);
    const calls = await evalshaCalls(observer);
    const record = await storage.increment(key, 60_000, 5, 0, 'default');
    expect(await evalshaCalls(observer)).toBe(calls + 1);
    expect(record).toMatchObject({ totalHits: 2, isBlocked: false, timeToExpire: 60, resetAt: now + 60_000 });
    const stored = `tokenbudget:throttle:{${key}}`; // the throttler's key under the module's prefix
    expect(await observer.hgetall(stored)).toEqual({ s: String(now), c: '2', x: '0' });
    expect(await observer.exists(key)).toBe(0);
    const ttl = await observer.pttl(stored);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it('admits exactly the limit when two instances hit one window concurrently', async () => {
    const storages = clients.map((client) => tierStorage(new RedisAdapter(client), () => now));
    const key = `${uniquePrefix()}:rate:{user:busy}`;
    const records = await Promise.all(Array.from({ length: 200 }, (_, i) => storages[i % 2].increment(key, 60_000, 50, 0, 'default')));
    expect(records.filter((r) => !r.isBlocked)).toHaveLength(50);
    expect(records.filter((r) => r.isBlocked).every((r) => r.timeToBlockExpire === 60 && r.totalHits === 51)).toBe(true);
    expect(await observer.hget(`tokenbudget:throttle:{${key}}`, 'c')).toBe('50');
  });
});

describe('TierThrottlerStorage on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = new Cluster(cluster.nodes, { redisOptions: { commandTimeout: 5_000, maxRetriesPerRequest: 1 } });
  }, 60_000);

  afterAll(async () => {
    await client?.quit();
    await cluster?.stop();
  });

  it('keeps exact limits for users on different slots under concurrency', async () => {
    const storage = tierStorage(new RedisAdapter(client), () => Date.parse('2026-11-23T14:00:00Z'));
    const prefix = uniquePrefix();
    const users = ['a', 'b', 'c', 'd', 'e', 'f'];
    const records = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        storage
          .increment(`${prefix}:rate:{user:${users[i % users.length]}}`, 60_000, 7, 0, 'default')
          .then((r) => ({ user: users[i % users.length], r })),
      ),
    );
    for (const user of users) expect(records.filter((x) => x.user === user && !x.r.isBlocked)).toHaveLength(7);
  });
});
