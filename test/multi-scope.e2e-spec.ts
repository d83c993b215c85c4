import Redis from 'ioredis';
import { RedisAdapter } from 'nestjs-token-budget';
import { overlappingCalls } from './fixtures/cost-scenarios';
import { TestClock } from './fixtures/create-app';
import { budgetService, useBudgetService } from './fixtures/service';
import { STORAGE_KINDS, testRedis, uniquePrefix } from './fixtures/storages';

const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));

describe.each(STORAGE_KINDS)('hierarchies on %s', (kind) => {
  const env = useBudgetService(kind, {
    clock: clock.read,
    budgets: [
      { scope: 'user', period: 'day', tokens: 800 },
      { scope: 'tenant', period: 'day', tokens: 1_000 },
    ],
  });

  it('a tenant cap of 1,000 tokens shared by two users with 800 each: together they never commit more than 1,000', async () => {
    const subjectOf = (i: number) => ({ user: i % 2 ? 'alice' : 'bob', tenant: 'acme' });
    const { admitted, refusedReasons } = await overlappingCalls(env.budgets, 200, subjectOf, 30, 30);
    expect(admitted).toBe(33); // floor(1000 / 30): the tenant binds before either user
    if (kind === 'cluster') {
      // user and tenant live on different slots, reserved one after the other: all the users' holds
      // are taken before the tenant's are tried, so later calls also meet a user counter held full
      // by holds that the tenant then refuses and gives back
      expect([...refusedReasons].sort()).toEqual(['tenant_token_limit_exceeded', 'user_token_limit_exceeded']);
    } else {
      expect([...refusedReasons]).toEqual(['tenant_token_limit_exceeded']);
    }
    const [alice, tenant] = await env.budgets.getUsage({ user: 'alice', tenant: 'acme' });
    const [bob] = await env.budgets.getUsage({ user: 'bob', tenant: 'acme' });
    expect(tenant).toMatchObject({ used: 990, reserved: 0, requests: 33 });
    expect(alice.used + bob.used).toBe(990);
    expect(alice.used).toBeLessThanOrEqual(800);
    expect(bob.used).toBeLessThanOrEqual(800);
  });

  it('one user alone stops at their own 800 while the tenant still has room', async () => {
    const { admitted, refusedReasons } = await overlappingCalls(env.budgets, 100, () => ({ user: 'carol', tenant: 'acme2' }), 30, 30);
    expect(admitted).toBe(26); // floor(800 / 30)
    expect([...refusedReasons]).toEqual(['user_token_limit_exceeded']);
    expect((await env.budgets.getUsage({ user: 'carol', tenant: 'acme2' })).map((u) => u.used)).toEqual([780, 780]);
  });
});

async function evalshaCalls(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('six scopes in one script call on a single Redis', () => {
  it('reserves on user, tenant, key, session, feature and global atomically: a refusal on the last leaves no partial hold', async () => {
    const redis = testRedis();
    const observer = testRedis();
    const env = await budgetService({
      storage: new RedisAdapter(redis, { timeSource: 'app' }),
      keyPrefix: uniquePrefix(),
      clock: clock.read,
      budgets: [
        { scope: 'user', period: 'day', tokens: 10_000 },
        { scope: 'tenant', period: 'day', tokens: 10_000 },
        { scope: 'key', period: 'day', tokens: 10_000 },
        { scope: 'session', period: 'day', tokens: 10_000 },
        { scope: 'feature', period: 'day', tokens: 10_000 },
        { scope: 'global', period: 'day', costUsd: 0.01 },
      ],
      defaultModel: 'gpt-4o-mini',
    });
    try {
      const subject = { user: 'u', tenant: 't', key: 'k', session: 's', feature: 'chat' };
      await env.budgets.record({ user: 'someone-else', feature: 'other' }, { inputTokens: 0, outputTokens: 15_000, model: 'gpt-4o-mini' }); // global: $0.009 spent
      const before = await evalshaCalls(observer);
      await expect(env.budgets.reserve(subject, 2_000)).rejects.toMatchObject({
        info: { scope: 'global', reason: 'global_cost_limit_exceeded' },
      });
      expect(await evalshaCalls(observer)).toBe(before + 1); // one round trip decided all six
      const usages = await env.budgets.getUsage(subject);
      expect(usages.map((u) => u.scope)).toEqual(['user', 'tenant', 'key', 'session', 'feature', 'global']);
      for (const usage of usages) expect(usage).toMatchObject({ reserved: 0, costReservedUsd: 0 });
      // what fits is held on all six at once, in one call too
      const fits = await env.budgets.reserve(subject, 1_000); // $0.0006 at the output price
      expect(await evalshaCalls(observer)).toBe(before + 3); // the getUsage read above, then this reserve
      expect((await env.budgets.getUsage(subject)).map((u) => [u.reserved, u.costReservedUsd])).toEqual(Array(6).fill([1_000, 0.0006]));
      await fits.release();
    } finally {
      await env.close();
      await redis.quit();
      await observer.quit();
    }
  });
});
