import Redis from 'ioredis';
import { RedisAdapter } from 'nestjs-token-budget';
import { get, post, startBudgetApp } from './fixtures/create-app';
import { TierTestController } from './fixtures/tier-test.controller';
import { freePort, startRedisServer } from './setup/redis-server';

/** A client of a port nobody listens on that fails commands at once instead of queueing them. */
async function unreachableRedis(): Promise<Redis> {
  const redis = new Redis({
    port: await freePort(),
    host: '127.0.0.1',
    enableOfflineQueue: false,
    retryStrategy: () => null,
    commandTimeout: 1_000,
  });
  redis.on('error', () => undefined);
  return redis;
}

describe.each(['closed', 'open'] as const)("failMode '%s' when Redis is unreachable", (failMode) => {
  it(failMode === 'closed' ? 'answers 503 at once' : 'admits the request at once', async () => {
    const redis = await unreachableRedis();
    const t = await startBudgetApp('express', { failMode, storage: new RedisAdapter(redis), budgets: [{ scope: 'user', tokens: 100 }] });
    try {
      const started = Date.now();
      const res = await post(
        `${t.url}/echo`,
        { estimate: 10, result: { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } },
        { 'x-user': 'f1' },
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      if (failMode === 'closed') {
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, error: 'budget_storage_unavailable' });
      } else {
        expect(res.status).toBe(200);
        expect(res.headers.get('x-tokenbudget-limit')).toBeNull();
      }
    } finally {
      await t.close();
      if (redis.status !== 'end') redis.disconnect();
    }
  });
});

describe.each(['closed', 'open'] as const)("tier rates with failMode '%s' when Redis is unreachable", (failMode) => {
  it(failMode === 'closed' ? 'answers 503 at once' : 'admits the request at once', async () => {
    const redis = await unreachableRedis();
    const tiers = { definitions: { free: { limit: 5 } }, default: 'free' };
    const t = await startBudgetApp('express', { failMode, storage: new RedisAdapter(redis), tiers }, [TierTestController]);
    try {
      const started = Date.now();
      const res = await get(`${t.url}/tier/ping`, { 'x-user': 'f2' });
      expect(Date.now() - started).toBeLessThan(2_000);
      if (failMode === 'closed') {
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, error: 'rate_storage_unavailable' });
      } else {
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      }
    } finally {
      await t.close();
      if (redis.status !== 'end') redis.disconnect();
    }
  });
});

describe('a Redis that stalls, then comes back', () => {
  it('answers 503 within the command timeout while stalled, and enforces again once it answers', async () => {
    const server = await startRedisServer();
    const t = await startBudgetApp('express', { storage: new RedisAdapter(server.url), budgets: [{ scope: 'user', tokens: 100 }] });
    const body = { estimate: 60, result: { usage: { prompt_tokens: 30, completion_tokens: 30, total_tokens: 60 } } };
    try {
      expect((await post(`${t.url}/echo`, body, { 'x-user': 'st' })).status).toBe(200);
      process.kill(server.pid, 'SIGSTOP');
      const started = Date.now();
      expect((await post(`${t.url}/echo`, body, { 'x-user': 'st' })).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(3_000);
      process.kill(server.pid, 'SIGCONT');
      // enforcement resumes: the first request's 60 tokens are still counted, 60 more do not fit
      const refused = await post(`${t.url}/echo`, body, { 'x-user': 'st' });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ used: 60, remaining: 40 });
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await t.close();
      await server.stop();
    }
  });
});
