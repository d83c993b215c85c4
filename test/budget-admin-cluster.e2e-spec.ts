import { BudgetExceededException, BudgetThresholdEvent, RedisAdapter, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { budgetService } from './fixtures/service';
import { uniquePrefix } from './fixtures/storages';
import { slotOf, useRedisCluster } from './fixtures/cluster';

describe('admin and events on a real 3-node Redis Cluster', () => {
  const { newClient } = useRedisCluster();
  const envs: Awaited<ReturnType<typeof budgetService>>[] = [];
  const twoInstances = async (options: TokenBudgetModuleOptions) => {
    const make = async () => {
      const client = newClient();
      const env = await budgetService({ ...options, storage: new RedisAdapter(client) });
      envs.push(env);
      return env.budgets;
    };
    return [await make(), await make()];
  };

  afterEach(async () => {
    await Promise.all(envs.splice(0).map((e) => e.close()));
  });

  it('setLimit, grant and reset on one instance apply to the next reservation on the other, across slots', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await twoInstances({
      keyPrefix,
      budgets: [
        { scope: 'user', period: 'day', tokens: 1_000 },
        { scope: 'tenant', period: 'day', tokens: 1_000 },
      ],
    });
    expect(slotOf(`${keyPrefix}:budget:{user:u1}`)).not.toBe(slotOf(`${keyPrefix}:budget:{tenant:acme}`));
    const subject = { user: 'u1', tenant: 'acme' };
    await a.setLimit({ tenant: 'acme' }, { tokens: 100 });
    await expect(b.reserve(subject, 101)).rejects.toBeInstanceOf(BudgetExceededException);
    expect((await b.getUsage(subject)).map((u) => u.reserved)).toEqual([0, 0]);
    await (await b.reserve(subject, 100)).commit(100);

    await a.grant({ tenant: 'acme' }, { tokens: 30 });
    await (await b.reserve(subject, 30)).commit(30);
    await expect(b.reserve(subject, 1)).rejects.toBeInstanceOf(BudgetExceededException);

    await a.reset({ tenant: 'acme' });
    expect((await b.getUsage(subject)).map((u) => [u.scope, u.used, u.granted, u.limit])).toEqual([
      ['user', 130, 0, 1_000],
      ['tenant', 0, 0, 100],
    ]);
  });

  it('rankings live on their own slot and follow the counters; a threshold fires once under 40 concurrent commits on two instances', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await twoInstances({
      keyPrefix,
      budgets: [
        { scope: 'user', period: 'day', tokens: 1_000, thresholds: [0.8] },
        { scope: 'global', period: 'day' },
      ],
    });
    const fired: BudgetThresholdEvent[] = [];
    const subscriptions = [a, b].map((s) => s.on('threshold').subscribe((e) => fired.push(e)));
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const service = i % 2 ? a : b;
        const reservation = await service.reserve({ user: 'hot' }, 25);
        await reservation.commit(25);
      }),
    );
    await Promise.all(Array.from({ length: 12 }, (_, i) => a.record(`user-${i}`, 10 * (i + 1))));
    subscriptions.forEach((s) => s.unsubscribe());

    expect(fired.filter((e) => e.scope === 'user')).toEqual([expect.objectContaining({ id: 'hot', threshold: 0.8 })]);
    const top = await b.listUsage({ scope: 'user', limit: 3 });
    expect(top.map((u) => [u.id, u.used])).toEqual([
      ['hot', 1_000],
      ['user-11', 120],
      ['user-10', 110],
    ]);
    expect((await b.listUsage({ scope: 'global' }))[0]).toMatchObject({ id: 'all', used: 1_000 + 780 });
  });
});
