import type { Cluster } from 'ioredis';
import { BudgetExceededException, BudgetService, RedisAdapter } from 'nestjs-token-budget';
import { post, startBudgetApp, TestApp } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { uniquePrefix } from './fixtures/storages';
import { slotOf, useRedisCluster } from './fixtures/cluster';

describe('RedisAdapter on a real 3-node Redis Cluster', () => {
  const { newClient } = useRedisCluster();

  it('reserves across slots all-or-nothing, releasing the slots already held when a later one refuses', async () => {
    const keyPrefix = uniquePrefix();
    const env = await budgetService({
      storage: new RedisAdapter(newClient()),
      keyPrefix,
      budgets: [
        { scope: 'user', period: 'day', tokens: 1_000 },
        { scope: 'tenant', period: 'day', tokens: 500 },
      ],
    });
    try {
      expect(slotOf(`${keyPrefix}:budget:{user:u1}`)).not.toBe(slotOf(`${keyPrefix}:budget:{tenant:acme}`));
      const subject = { user: 'u1', tenant: 'acme' };
      await env.budgets.record(subject, 400);
      await expect(env.budgets.reserve(subject, 200)).rejects.toBeInstanceOf(BudgetExceededException);
      const [user, tenant] = await env.budgets.getUsage(subject);
      expect(user).toMatchObject({ used: 400, reserved: 0 });
      expect(tenant).toMatchObject({ used: 400, reserved: 0 });
      const r = await env.budgets.reserve(subject, 100);
      await r.commit(90);
      expect((await env.budgets.getUsage(subject)).map((u) => u.used)).toEqual([490, 490]);
    } finally {
      await env.close();
    }
  });

  it('releases the slots already held when a later slot fails', async () => {
    const keyPrefix = uniquePrefix();
    const adapter = new RedisAdapter(newClient());
    const env = await budgetService({
      storage: adapter,
      keyPrefix,
      budgets: [
        { scope: 'user', period: 'day', tokens: 1_000 },
        { scope: 'tenant', period: 'day', tokens: 1_000 },
      ],
    });
    const target = adapter as unknown as { reserveGroup: (...args: unknown[]) => Promise<unknown> };
    const real = target.reserveGroup.bind(adapter);
    let calls = 0;
    target.reserveGroup = async (...args: unknown[]) => {
      const result = await real(...args); // the script ran on this slot...
      if (++calls === 2) throw new Error('CLUSTERDOWN simulated after the second slot ran');
      return result;
    };
    try {
      const subject = { user: 'u9', tenant: 'acme9' };
      await expect(env.budgets.reserve(subject, 100)).rejects.toThrow('CLUSTERDOWN');
      expect((await env.budgets.getUsage(subject)).map((u) => u.reserved)).toEqual([0, 0]);
    } finally {
      await env.close();
    }
  });

  it('never overshoots with 300 concurrent requests over 2 instances on user and global budgets', async () => {
    const keyPrefix = uniquePrefix();
    const E = 10;
    const options = (client: Cluster) => ({
      keyPrefix,
      storage: new RedisAdapter(client),
      budgets: [
        { scope: 'user' as const, period: 'day' as const, tokens: 1_000 },
        { scope: 'global' as const, period: 'day' as const, tokens: 50 * E },
      ],
    });
    const apps: TestApp[] = [await startBudgetApp('express', options(newClient())), await startBudgetApp('fastify', options(newClient()))];
    try {
      const result = { usage: { prompt_tokens: 5, completion_tokens: E - 5, total_tokens: E } };
      const responses = await Promise.all(
        Array.from({ length: 300 }, (_, i) => post(`${apps[i % 2].url}/echo`, { estimate: E, result }, { 'x-user': `user-${i % 7}` })),
      );
      const admitted = responses.filter((r) => r.status === 200).length;
      expect(admitted).toBe(50);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(250);
      const usages = await apps[0].app.get(BudgetService).getUsage('user-0');
      expect(usages[1]).toMatchObject({ scope: 'global', used: 50 * E, reserved: 0 });
      let userTotal = 0;
      for (let u = 0; u < 7; u++) {
        const [user] = await apps[0].app.get(BudgetService).getUsage(`user-${u}`);
        expect(user.reserved).toBe(0);
        userTotal += user.used;
      }
      expect(userTotal).toBe(50 * E);
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });
});
