import { BudgetService, MemoryAdapter, RedisAdapter } from 'nestjs-token-budget';
import { post, startBudgetApp, TestApp } from './fixtures/create-app';
import { SHARED_KINDS, sharedClient, uniquePrefix } from './fixtures/storages';

const E = 37;
const LIMIT = 100 * E;
const REQUESTS = 500;
const result = { object: 'chat.completion', usage: { prompt_tokens: 20, completion_tokens: E - 20, total_tokens: E } };

/**
 * Fires all requests at once, spread round-robin over the apps; returns the status counts. The
 * handler answers after 20 ms, like an upstream call, so holds of requests in flight overlap.
 */
async function burst(apps: TestApp[], user: string): Promise<Record<number, number>> {
  const statuses = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) => post(`${apps[i % apps.length].url}/slow-echo`, { estimate: E, result }, { 'x-user': user })),
  );
  const counts: Record<number, number> = {};
  for (const { status } of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe.each(SHARED_KINDS)('no overshoot under concurrency on %s', (kind) => {
  it(`admits exactly 100 of ${REQUESTS} concurrent requests across 3 instances sharing one ${kind === 'cluster' ? 'Redis Cluster' : 'Redis'}`, async () => {
    const keyPrefix = uniquePrefix();
    const clients = [sharedClient(kind), sharedClient(kind), sharedClient(kind)];
    const apps = await Promise.all(
      ['express', 'fastify', 'express'].map((platform, i) =>
        startBudgetApp(platform as 'express' | 'fastify', {
          keyPrefix,
          storage: new RedisAdapter(clients[i]),
          budgets: [{ scope: 'user', period: 'month', tokens: LIMIT }],
        }),
      ),
    );
    try {
      expect(await burst(apps, 'heavy-user')).toEqual({ 200: 100, 429: REQUESTS - 100 });
      const [usage] = await apps[1].app.get(BudgetService).getUsage('heavy-user');
      expect(usage).toMatchObject({ used: LIMIT, reserved: 0, remaining: 0 });
    } finally {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(clients.map((c) => c.quit()));
    }
  });
});

describe('no overshoot under concurrency in memory', () => {
  it(`admits exactly 100 of ${REQUESTS} concurrent requests on MemoryAdapter in one instance`, async () => {
    const app = await startBudgetApp('express', {
      storage: new MemoryAdapter(),
      budgets: [{ scope: 'user', period: 'month', tokens: LIMIT }],
    });
    try {
      expect(await burst([app], 'heavy-user')).toEqual({ 200: 100, 429: REQUESTS - 100 });
      const [usage] = await app.app.get(BudgetService).getUsage('heavy-user');
      expect(usage).toMatchObject({ used: LIMIT, reserved: 0, remaining: 0 });
    } finally {
      await app.close();
    }
  });
});
