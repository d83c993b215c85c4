import Redis from 'ioredis';
import { COMMITTED_ID_RETENTION_MS, RedisAdapter } from 'nestjs-token-budget';
import { TestClock } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { redisUrl, testRedis, uniquePrefix } from './fixtures/storages';

async function evalshaCalls(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('RedisAdapter on a real redis-server, on the app clock (timeSource: app)', () => {
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  let redis: Redis;
  let observer: Redis;
  let keyPrefix: string;
  let env: Awaited<ReturnType<typeof budgetService>>;

  beforeEach(async () => {
    redis = testRedis();
    observer = testRedis();
    keyPrefix = uniquePrefix();
    env = await budgetService({
      storage: new RedisAdapter(redis, { timeSource: 'app' }),
      keyPrefix,
      clock: clock.read,
      budgets: [
        { scope: 'user', period: 'month', tokens: 1_000, rollover: { maxCarryover: 500 } },
        { scope: 'tenant', period: 'day', tokens: 0, timezone: 'Asia/Tokyo' },
      ],
    });
  });
  afterEach(async () => {
    await env.close();
    await redis.quit();
    await observer.quit();
  });

  it('stores counters under hash-tagged keys that expire after the next period', async () => {
    await env.budgets.record({ user: '42', tenant: 'acme' }, { inputTokens: 10, outputTokens: 0, model: 'gpt-4o-mini' });
    const key = `${keyPrefix}:budget:{user:42}:2026-11`;
    expect(await observer.hget(key, 'used')).toBe('10');
    // tokens and money share the record: spend in integer nano-dollars (10 x $0.15/M), and the count of calls
    expect(await observer.hmget(key, 'cused', 'creserved', 'climit', 'n')).toEqual(['1500', null, '0', '1']);
    // kept through December (for rollover) plus a margin, then gone
    // relative to the app clock (the injected one here), not to Redis's own clock
    const ttl = await observer.pttl(key);
    expect(Math.abs(ttl - (Date.parse('2027-01-01T01:00:00Z') - clock.now))).toBeLessThan(5_000);
    // no reservation held: the lease set only remembers the committed id (so a retried commit counts
    // once), until the app clock's now + COMMITTED_ID_RETENTION_MS, and expires with the record
    const [committedId, forgetAt] = await observer.zrange(`${key}:leases`, 0, -1, 'WITHSCORES');
    expect(await observer.hget(key, `k:${committedId}`)).toBe('1');
    expect(Number(forgetAt)).toBe(clock.now + COMMITTED_ID_RETENTION_MS);
    expect(Math.abs((await observer.pttl(`${key}:leases`)) - ttl)).toBeLessThan(5_000);
    // tenant day in Tokyo: 10:00 UTC is 19:00 in Tokyo, same date; the zone is part of the key
    expect(await observer.hget(`${keyPrefix}:budget:{tenant:acme}:2026-11-23@Asia/Tokyo`, 'used')).toBe('10');
  });

  it('gives the lease set of a held reservation the same expiry as its counter', async () => {
    await env.budgets.reserve('held', 10); // never settled
    const key = `${keyPrefix}:budget:{user:held}:2026-11`;
    expect(await observer.zcard(`${key}:leases`)).toBe(1);
    const counterTtl = await observer.pttl(key);
    expect(counterTtl).toBeGreaterThan(0);
    expect(Math.abs((await observer.pttl(`${key}:leases`)) - counterTtl)).toBeLessThan(1_000);
  });

  it('drops a commit that arrives after its record expired instead of recreating it without a TTL', async () => {
    const start = clock.now;
    const reservation = await env.budgets.reserve('late', 10);
    clock.set('2027-01-01T01:00:01Z'); // November's record lives until 2027-01-01T01:00Z
    try {
      await reservation.commit(7);
      expect(await observer.exists(`${keyPrefix}:budget:{user:late}:2026-11`)).toBe(1); // still there: Redis's clock is not the app's
      expect(await observer.hget(`${keyPrefix}:budget:{user:late}:2026-11`, 'used')).toBe('0');
    } finally {
      clock.now = start;
    }
  });

  it('escapes ids so they cannot reach another subject or break the hash tag', async () => {
    await env.budgets.record('a}:{user:42', 5);
    const keys = await observer.keys(`${keyPrefix}:*`);
    expect(keys.filter((key) => key.includes(':budget:')).sort()).toEqual([
      `${keyPrefix}:budget:{user:a%7D%3A%7Buser%3A42}:2026-11`,
      `${keyPrefix}:budget:{user:a%7D%3A%7Buser%3A42}:2026-11:leases`,
    ]);
    // the ranking of the rule keeps the raw id as its member, under its own hash tag
    expect(await observer.zrange(`${keyPrefix}:rank:{user||month|}:2026-11`, 0, -1)).toEqual(['a}:{user:42']);
    expect((await env.budgets.getUsage('42'))[0]).toMatchObject({ used: 0 });
  });

  it('uses exactly one round trip to reserve and one to commit', async () => {
    await (await env.budgets.reserve('warm', 1)).commit(1); // loads the scripts
    const before = await evalshaCalls(observer);
    const reservation = await env.budgets.reserve({ user: '42', tenant: 'acme' }, 100);
    expect(await evalshaCalls(observer)).toBe(before + 1);
    await reservation.commit(80);
    expect(await evalshaCalls(observer)).toBe(before + 2);
  });

  it('reloads its scripts when Redis lost them (NOSCRIPT)', async () => {
    await env.budgets.record('42', 1);
    await observer.script('FLUSH');
    const reservation = await env.budgets.reserve('42', 10);
    await reservation.commit(10);
    expect((await env.budgets.getUsage('42'))[0]).toMatchObject({ used: 11, reserved: 0 });
  });

  it('closes a client it created on shutdown and leaves a given client open', async () => {
    const owned = new RedisAdapter(redisUrl());
    await owned.read([], 0);
    await owned.onApplicationShutdown();
    expect(owned.client.status).toBe('end');
    const given = new RedisAdapter(redis);
    await given.onApplicationShutdown();
    expect(redis.status).toBe('ready');
  });
});
