import Redis from 'ioredis';
import { RedisAdapter } from 'nestjs-token-budget';
import { post, startBudgetApp } from './fixtures/create-app';
import { freePort } from './setup/redis-server';

/** A client of a port nobody listens on that fails commands at once instead of queueing them. */
async function unreachableRedis(): Promise<Redis> {
  const redis = new Redis({ port: await freePort(), host: '127.0.0.1', enableOfflineQueue: false, retryStrategy: () => null, commandTimeout: 1_000 });
  redis.on('error', () => undefined);
  return redis;
}

describe.each(['closed', 'open'] as const)("failMode '%s' when Redis is unreachable", (failMode) => {
  it(failMode === 'closed' ? 'answers 503 at once' : 'admits the request at once', async () => {
    const redis = await unreachableRedis();
    const t = await startBudgetApp('express', { failMode, storage: new RedisAdapter(redis), budgets: [{ scope: 'user', tokens: 100 }] });
    try {
      const started = Date.now();
      const res = await post(`${t.url}/echo`, { estimate: 10, result: { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } }, { 'x-user': 'f1' });
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
