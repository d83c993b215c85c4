import { nanosToUsd, RedisAdapter } from 'nestjs-token-budget';
import { GPT_4O_MINI_CALL, overlappingCalls } from './fixtures/cost-scenarios';
import { budgetService } from './fixtures/service';
import { uniquePrefix } from './fixtures/storages';
import { slotOf, useRedisCluster } from './fixtures/cluster';

describe('cost and hierarchy budgets on a real 3-node Redis Cluster', () => {
  const { newClient } = useRedisCluster();

  it('a $1.00 daily user cap: exactly the floor of 500 concurrent calls over 2 instances, user and tenant on different slots', async () => {
    const keyPrefix = uniquePrefix();
    const options = () => ({
      storage: new RedisAdapter(newClient()),
      keyPrefix,
      budgets: [
        { scope: 'user' as const, period: 'day' as const, costUsd: 1 },
        { scope: 'tenant' as const, period: 'day' as const, costUsd: 100 },
      ],
    });
    const [a, b] = [await budgetService(options()), await budgetService(options())];
    try {
      expect(slotOf(`${keyPrefix}:budget:{user:spender}`)).not.toBe(slotOf(`${keyPrefix}:budget:{tenant:acme}`));
      const subject = { user: 'spender', tenant: 'acme' };
      const [first, second] = await Promise.all([
        overlappingCalls(a.budgets, 250, () => subject, GPT_4O_MINI_CALL.estimate, GPT_4O_MINI_CALL.usage),
        overlappingCalls(b.budgets, 250, () => subject, GPT_4O_MINI_CALL.estimate, GPT_4O_MINI_CALL.usage),
      ]);
      const floor = Math.floor(1e9 / GPT_4O_MINI_CALL.nanos);
      expect(first.admitted + second.admitted).toBe(floor);
      const [user, tenant] = await a.budgets.getUsage(subject);
      expect(user).toMatchObject({ costUsd: nanosToUsd(floor * GPT_4O_MINI_CALL.nanos), costReservedUsd: 0, requests: floor });
      expect(user.costUsd).toBeLessThanOrEqual(1);
      // every refused call's hold on the tenant slot was given back
      expect(tenant).toMatchObject({ costUsd: user.costUsd, costReservedUsd: 0, requests: floor });
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  it('a tenant cap of 1,000 tokens shared by two users with 800 each: never more than 1,000 together', async () => {
    const keyPrefix = uniquePrefix();
    const env = await budgetService({
      storage: new RedisAdapter(newClient()),
      keyPrefix,
      budgets: [
        { scope: 'user', period: 'day', tokens: 800 },
        { scope: 'tenant', period: 'day', tokens: 1_000 },
      ],
    });
    try {
      for (const user of ['alice', 'bob'])
        expect(slotOf(`${keyPrefix}:budget:{user:${user}}`)).not.toBe(slotOf(`${keyPrefix}:budget:{tenant:acme}`));
      const { admitted } = await overlappingCalls(env.budgets, 200, (i) => ({ user: i % 2 ? 'alice' : 'bob', tenant: 'acme' }), 30, 30);
      expect(admitted).toBe(33);
      const [alice, tenant] = await env.budgets.getUsage({ user: 'alice', tenant: 'acme' });
      const [bob] = await env.budgets.getUsage({ user: 'bob', tenant: 'acme' });
      expect(tenant).toMatchObject({ used: 990, reserved: 0 });
      expect(alice.used + bob.used).toBe(990);
      expect(alice.reserved + bob.reserved).toBe(0);
    } finally {
      await env.close();
    }
  }, 30_000);

  it('clamps across slots: each slot holds at most what the slots before it held, and a refusal on a later slot gives the earlier holds back', async () => {
    const keyPrefix = uniquePrefix();
    const env = await budgetService({
      storage: new RedisAdapter(newClient()),
      keyPrefix,
      reservationPolicy: 'clamp',
      budgets: [
        { scope: 'user', period: 'day', tokens: 1_000 },
        { scope: 'tenant', period: 'day', tokens: 300 },
      ],
    });
    try {
      const subject = { user: 'cu', tenant: 'cacme' };
      expect(slotOf(`${keyPrefix}:budget:{user:cu}`)).not.toBe(slotOf(`${keyPrefix}:budget:{tenant:cacme}`));
      const first = await env.budgets.reserve(subject, 500);
      expect(first.held).toBe(300);
      const [user, tenant] = await env.budgets.getUsage(subject);
      expect(tenant.reserved).toBe(300);
      expect(user.reserved).toBeGreaterThanOrEqual(300); // 300 or 500, by slot order: never less than held
      await expect(env.budgets.reserve(subject, 10)).rejects.toMatchObject({ info: { reason: 'tenant_token_limit_exceeded' } });
      expect((await env.budgets.getUsage(subject)).map((u) => u.reserved)).toEqual([user.reserved, 300]);
      await first.commit(500);
      expect((await env.budgets.getUsage(subject)).map((u) => [u.used, u.reserved])).toEqual([
        [500, 0],
        [500, 0],
      ]);
    } finally {
      await env.close();
    }
  }, 30_000);
});
