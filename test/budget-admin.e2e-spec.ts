import {
  BudgetService,
  InvalidAdminRequestError,
  InvalidSubjectError,
  RedisAdapter,
  StorageAdapter,
  TokenBudgetModuleOptions,
  usdToNanos,
} from 'nestjs-token-budget';
import { post, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { makeStorage, STORAGE_KINDS, StorageKind, testRedis, uniquePrefix } from './fixtures/storages';

/** Calls of the commands that walk the keyspace, server-wide. */
async function keyspaceWalks(redis: { info(section: string): Promise<string> }): Promise<number> {
  const stats = await redis.info('commandstats');
  return ['scan', 'keys', 'hscan', 'zscan', 'sscan'].reduce(
    (sum, cmd) => sum + Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0),
    0,
  );
}

const usage = (total: number) => ({ usage: { prompt_tokens: total, completion_tokens: 0, total_tokens: total } });
const DAY = Date.parse('2026-11-23T10:00:00Z');

/** Commits tokens and money on the counters a subject's call would count on (money comes from pricing in the app). */
async function commitWithCost(
  budgets: BudgetService,
  storage: StorageAdapter,
  ids: { user: string; feature?: string },
  tokens: number,
  nanos: number,
  now: number,
) {
  const targets = await budgets.targetsFor({ user: ids.user, feature: ids.feature }, now);
  await storage.commit({ id: `c-${Math.random()}`, counters: targets.map((t) => t.counter), amount: tokens, cost: nanos, now });
}

describe.each(STORAGE_KINDS)('BudgetService admin on %s storage', (kind: StorageKind) => {
  let store: ReturnType<typeof makeStorage>;
  let env: Awaited<ReturnType<typeof budgetService>>;
  const clock = new TestClock(DAY);
  const start = async (options: TokenBudgetModuleOptions) => {
    store = makeStorage(kind, 'app');
    env = await budgetService({ clock: clock.read, keyPrefix: uniquePrefix(), storage: store.storage, ...options });
    return env.budgets;
  };
  beforeEach(() => (clock.now = DAY));
  afterEach(async () => {
    await env?.close();
    await store?.close();
  });

  it('grant raises the effective limit of the current period only; reset clears grants but keeps overrides', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 100 }] });
    await budgets.record('u1', 100);
    await expect(budgets.reserve('u1', 10)).rejects.toThrow('Token budget exceeded');

    const [granted] = await budgets.grant('u1', { tokens: 50, costUsd: 0.25 });
    expect(granted).toMatchObject({ used: 100, limit: 100, granted: 50, effectiveLimit: 150, remaining: 50, costGrantedUsd: 0.25 });
    await (await budgets.reserve('u1', 50)).commit(50);
    await expect(budgets.reserve('u1', 1)).rejects.toThrow('Token budget exceeded');

    await budgets.setLimit('u1', { tokens: 300 });
    await budgets.reset('u1');
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ used: 0, granted: 0, limit: 300, effectiveLimit: 300, costGrantedUsd: 0 });

    // credits end with their period
    await budgets.grant('u1', { tokens: 70 });
    clock.advance(86_400_000);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ granted: 0, effectiveLimit: 300 });
  });

  it('unused credits roll over like unused tokens, capped by maxCarryover', async () => {
    const budgets = await start({
      budgets: [{ scope: 'user', period: 'day', tokens: 100, rollover: { enabled: true, maxCarryover: 80 } }],
    });
    await budgets.record('u1', 90);
    await budgets.grant('u1', { tokens: 50 }); // 60 unused today
    await budgets.record('u2', 10);
    await budgets.grant('u2', { tokens: 50 }); // 140 unused today
    clock.advance(86_400_000);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ carryover: 60, granted: 0, effectiveLimit: 160 });
    expect((await budgets.getUsage('u2'))[0]).toMatchObject({ carryover: 80, effectiveLimit: 180 });
  });

  it('setLimit overrides the rule for one subject until cleared; other subjects keep the rule', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 100 }] });
    await budgets.setLimit('vip', { tokens: 1_000 });
    await budgets.setLimit('trial', { tokens: 10 });
    await (await budgets.reserve('vip', 900)).commit(900);
    await expect(budgets.reserve('trial', 11)).rejects.toThrow('Token budget exceeded');
    await expect(budgets.reserve('other', 101)).rejects.toThrow('Token budget exceeded');
    expect((await budgets.check('trial', 10)).allowed).toBe(true);

    await budgets.clearLimit('vip');
    const [vip] = await budgets.getUsage('vip');
    expect(vip).toMatchObject({ used: 900, limit: 100, remaining: 0 });
    await expect(budgets.reserve('vip', 1)).rejects.toThrow('Token budget exceeded');
  });

  it('setLimit keeps the dimension it is not given; null removes both', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 100 }] });
    await budgets.setLimit('u1', { tokens: 5 });
    await budgets.setLimit('u1', { costUsd: 2.5 });
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ limit: 5, costLimitUsd: 2.5 });
    await budgets.setLimit('u1', { tokens: 0 }); // 0 = unlimited, as in a rule
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ limit: 0, effectiveLimit: 0, remaining: Infinity, costLimitUsd: 2.5 });
    await budgets.setLimit('u1', null);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ limit: 100, costLimitUsd: 0 });
  });

  it('setLimit and grant apply to one rule when named, and to the scopes given', async () => {
    const budgets = await start({
      budgets: [
        { scope: 'user', period: 'day', tokens: 100 },
        { scope: 'user', period: 'month', tokens: 1_000 },
        { scope: 'tenant', id: () => undefined, period: 'month', tokens: 5_000 },
      ],
    });
    await budgets.setLimit('u1', { tokens: 20 }, { rule: 'user:day' });
    await budgets.grant({ user: 'u1', tenant: 'acme' }, { tokens: 7 }, { scopes: ['tenant'] });
    const [day, month, tenant] = await budgets.getUsage({ user: 'u1', tenant: 'acme' });
    expect(day).toMatchObject({ limit: 20, granted: 0 });
    expect(month).toMatchObject({ limit: 1_000, granted: 0 });
    expect(tenant).toMatchObject({ limit: 5_000, granted: 7, effectiveLimit: 5_007 });
    await expect(budgets.setLimit('u1', { tokens: 5 }, { rule: 'no-such-rule' })).rejects.toThrow(InvalidAdminRequestError);
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 100 }] });
    const bad: [() => Promise<unknown>, new (...args: never[]) => Error, RegExp][] = [
      [() => budgets.grant('u1', { tokens: NaN }), InvalidAdminRequestError, /grant: tokens is NaN.*non-negative whole number/],
      [() => budgets.grant('u1', { tokens: -5 }), InvalidAdminRequestError, /tokens is -5/],
      [() => budgets.grant('u1', { tokens: 1.5 }), InvalidAdminRequestError, /tokens is 1.5/],
      [() => budgets.grant('u1', { costUsd: NaN }), InvalidAdminRequestError, /costUsd is NaN/],
      [() => budgets.grant('u1', { costUsd: -1 }), InvalidAdminRequestError, /costUsd is -1/],
      [() => budgets.grant('u1', {}), InvalidAdminRequestError, /expected \{ tokens\?, costUsd\? \}/],
      [() => budgets.grant('', { tokens: 5 }), InvalidSubjectError, /Invalid user id: grant\(\) was given ""/],
      [() => budgets.grant({ user: 'u1', tenant: '' }, { tokens: 5 }), InvalidSubjectError, /Invalid tenant id/],
      [() => budgets.setLimit('u1', { tokens: -1 }), InvalidAdminRequestError, /setLimit: tokens is -1/],
      [() => budgets.setLimit('u1', { costUsd: Infinity }), InvalidAdminRequestError, /costUsd is null|costUsd is Infinity/],
      [() => budgets.setLimit('', { tokens: 10 }), InvalidSubjectError, /Invalid user id/],
      [() => budgets.reset(''), InvalidSubjectError, /Invalid user id/],
    ];
    for (const [call, type, message] of bad) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/nothing was (changed|reserved or recorded)/);
    }
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ used: 0, limit: 100, granted: 0, effectiveLimit: 100 });
    if (store.redis) {
      const prefix = env.budgets.options.keyPrefix as string;
      expect(await store.redis.keys(`${prefix}:*`)).toEqual([]);
    }
  });

  it('listUsage ranks many subjects by tokens or by cost, highest first, without walking the keyspace', async () => {
    const budgets = await start({
      budgets: [
        { scope: 'user', period: 'day', tokens: 10_000 },
        { scope: 'user', period: 'month', tokens: 0 },
      ],
    });
    // 60 users: tokens rise with i, money falls with it
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        commitWithCost(budgets, store.storage, { user: `user-${i}` }, 10 + i * 3, usdToNanos(1 - i * 0.01), clock.now),
      ),
    );
    await budgets.record('user-5', 1_000); // overtakes everyone on tokens

    const walksBefore = store.redis ? await keyspaceWalks(store.redis) : 0;
    const top = await budgets.listUsage({ scope: 'user', period: 'day', limit: 5 });
    if (store.redis) expect(await keyspaceWalks(store.redis)).toBe(walksBefore);
    expect(top.map((u) => [u.id, u.used])).toEqual([
      ['user-5', 1_025],
      ['user-59', 187],
      ['user-58', 184],
      ['user-57', 181],
      ['user-56', 178],
    ]);
    expect(top[0]).toMatchObject({ scope: 'user', name: 'user:day', period: '2026-11-23', limit: 10_000, requests: 2 });

    const byCost = await budgets.listUsage({ scope: 'user', period: 'month', orderBy: 'cost', limit: 3 });
    expect(byCost.map((u) => [u.id, u.costUsd])).toEqual([
      ['user-0', 1],
      ['user-1', 0.99],
      ['user-2', 0.98],
    ]);
    expect(await budgets.listUsage({ scope: 'user', period: 'day' })).toHaveLength(10);

    await budgets.reset('user-5');
    expect((await budgets.listUsage({ scope: 'user', period: 'day', limit: 1 }))[0].id).toBe('user-59');

    clock.advance(86_400_000); // a new day: the day ranking starts empty, the month one goes on
    expect(await budgets.listUsage({ scope: 'user', period: 'day' })).toEqual([]);
    expect(await budgets.listUsage({ scope: 'user', period: 'month', limit: 1 })).toHaveLength(1);

    await expect(budgets.listUsage({ scope: 'user' })).rejects.toThrow(
      /several budget rules match.*user:day, user:month.*Pass period or rule/,
    );
    await expect(budgets.listUsage({ scope: 'tenant' })).rejects.toThrow(/no budget rule matches.*Rules in force: user:day, user:month/);
    await expect(budgets.listUsage({ scope: 'user', period: 'day', limit: 0 })).rejects.toThrow(InvalidAdminRequestError);
  });

  it('spendReport gives tokens, exact money and calls per feature for the current period', async () => {
    const budgets = await start({
      budgets: [
        { scope: 'user', period: 'month', tokens: 100_000 },
        { scope: 'feature', period: 'month' },
      ],
    });
    await budgets.record({ user: 'u1', feature: 'chat' }, 100);
    await budgets.record({ user: 'u2', feature: 'chat' }, 50);
    await budgets.record({ user: 'u1', feature: 'summarize' }, 30);
    for (let i = 0; i < 3; i++)
      await commitWithCost(budgets, store.storage, { user: 'u3', feature: 'summarize' }, 0, usdToNanos(0.000123), clock.now);

    const report = await budgets.spendReport({ by: 'feature' });
    expect(report).toEqual({
      by: 'feature',
      period: '2026-11',
      rule: 'feature:month',
      tokens: 180,
      costUsd: 0.000369,
      requests: 6,
      lines: [
        { feature: 'chat', tokens: 150, reserved: 0, costUsd: 0, requests: 2 },
        { feature: 'summarize', tokens: 30, reserved: 0, costUsd: 0.000369, requests: 4 },
      ],
    });
  });

  it('spendReport explains what to configure when no feature rule counts spend', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'month', tokens: 100 }] });
    await expect(budgets.spendReport()).rejects.toThrow(/no budget rule of scope 'feature'.*\{ scope: 'feature', period: 'month' \}/);
  });
});

describe('grant, setLimit and reset on one Redis take effect on every instance', () => {
  const clock = new TestClock(DAY);
  const keyPrefix = uniquePrefix();
  const options = (): TokenBudgetModuleOptions => ({
    keyPrefix,
    clock: clock.read,
    storage: new RedisAdapter(testRedis()),
    budgets: [{ scope: 'user', period: 'day', tokens: 100 }],
  });
  let apps: TestApp[] = [];
  const closeAll = async () => {
    for (const a of apps) {
      const redis = (a.app.get(BudgetService).storage as RedisAdapter).client;
      await a.close();
      await redis.quit();
    }
    apps = [];
  };
  afterAll(closeAll);

  const echo = (app: TestApp, user: string, estimate: number, total = estimate) =>
    post(`${app.url}/echo`, { estimate, result: usage(total) }, { 'x-user': user });

  it('an admin call on one instance changes the next request on the other', async () => {
    apps = [await startBudgetApp('express', options()), await startBudgetApp('fastify', options())];
    const [a, b] = apps;
    const admin = a.app.get(BudgetService);

    expect((await echo(b, 'u1', 100)).status).toBe(200);
    expect((await echo(b, 'u1', 10)).status).toBe(429);
    await admin.grant('u1', { tokens: 40 });
    const afterGrant = await echo(b, 'u1', 40);
    expect(afterGrant.status).toBe(200);
    expect(afterGrant.headers.get('x-tokenbudget-limit')).toBe('140');
    expect((await echo(b, 'u1', 1)).status).toBe(429);

    await admin.setLimit('u2', { tokens: 10 });
    expect((await echo(b, 'u2', 20)).status).toBe(429);
    expect((await echo(b, 'u2', 10)).status).toBe(200);
    await admin.clearLimit('u2');
    expect((await echo(b, 'u2', 20)).status).toBe(200);

    await admin.setLimit('u1', { tokens: 500 });
    await admin.reset('u1');
    const afterReset = await echo(b, 'u1', 450);
    expect(afterReset.status).toBe(200);
    expect(afterReset.headers.get('x-tokenbudget-limit')).toBe('500'); // the grant went with the reset, the override stayed
    expect((await b.app.get(BudgetService).getUsage('u1'))[0]).toMatchObject({ used: 450, granted: 0, limit: 500 });
  });

  it('a limit override survives a restart of every instance', async () => {
    await closeAll();
    apps = [await startBudgetApp('express', options())];
    expect((await echo(apps[0], 'u1', 50)).status).toBe(200); // 500 - 450 left: the override is still there
    expect((await echo(apps[0], 'u1', 1)).status).toBe(429);
  });
});
