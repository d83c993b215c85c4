import {
  BudgetCommittedEvent,
  BudgetEvent,
  BudgetExceededEvent,
  BudgetService,
  BudgetThresholdEvent,
  RedisAdapter,
  TokenBudget,
  TokenBudgetGuard,
  TokenBudgetModuleOptions,
  usdToNanos,
} from 'nestjs-token-budget';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { PLATFORMS, post, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { makeStorage, STORAGE_KINDS, StorageKind, testRedis, uniquePrefix } from './fixtures/storages';

const usage = (total: number) => ({ usage: { prompt_tokens: total, completion_tokens: 0, total_tokens: total } });
const DAY = Date.parse('2026-11-23T10:00:00Z');

@Controller()
@UseGuards(TokenBudgetGuard)
class SoftRouteController {
  @Post('soft')
  @HttpCode(200)
  @TokenBudget({ tokens: 100, period: 'day', feature: 'soft', thresholds: [0.5], onExceeded: 'warn', estimate: (req) => req.body.estimate })
  soft(@Body() body: { result: unknown }) {
    return body.result;
  }
}

/** Collects every event of the given services until `stop()`. */
function collect(services: BudgetService[]) {
  const events: BudgetEvent[] = [];
  const subscriptions: Subscription[] = services.map((s) => s.events$.subscribe((event) => events.push(event)));
  return {
    events,
    of: <T extends BudgetEvent['type']>(type: T) => events.filter((e): e is Extract<BudgetEvent, { type: T }> => e.type === type),
    stop: () => subscriptions.forEach((s) => s.unsubscribe()),
  };
}

describe.each(PLATFORMS)('budget events over HTTP (%s), two instances on one Redis', (platform) => {
  const clock = new TestClock(DAY);
  let apps: TestApp[] = [];
  const start = async (budgets: TokenBudgetModuleOptions['budgets']) => {
    const keyPrefix = uniquePrefix();
    const options = (): TokenBudgetModuleOptions => ({
      keyPrefix,
      clock: clock.read,
      storage: new RedisAdapter(testRedis(), { timeSource: 'app' }),
      budgets,
    });
    apps = [await startBudgetApp(platform, options()), await startBudgetApp(platform, options())];
    return apps.map((a) => a.app.get(BudgetService));
  };
  beforeEach(() => (clock.now = DAY));
  afterEach(async () => {
    for (const a of apps) {
      const redis = (a.app.get(BudgetService).storage as RedisAdapter).client;
      await a.close();
      await redis.quit();
    }
    apps = [];
  });

  it('a threshold fires exactly once per period when 40 concurrent requests cross it, whichever instance commits', async () => {
    const services = await start([{ scope: 'user', period: 'day', tokens: 1_000, thresholds: [0.5, 0.8] }]);
    const seen = collect(services);
    const burst = () =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) => post(`${apps[i % 2].url}/slow-echo`, { estimate: 25, result: usage(25) }, { 'x-user': 'u1' })),
      );

    const first = await burst();
    expect(first.every((r) => r.status === 200)).toBe(true);
    const thresholds = seen.of('threshold');
    expect(thresholds.map((e) => e.threshold).sort()).toEqual([0.5, 0.8]);
    for (const event of thresholds) {
      expect(event).toMatchObject({ scope: 'user', id: 'u1', rule: 'user:day', period: '2026-11-23', limit: 1_000, dimension: 'tokens' });
      expect(event.used).toBeGreaterThanOrEqual(event.threshold * 1_000);
      expect(event.used).toBeLessThan(event.threshold * 1_000 + 25 * 40);
    }
    expect(seen.of('committed')).toHaveLength(40);

    clock.advance(86_400_000);
    await burst();
    const next = seen.of('threshold').slice(2);
    expect(next.map((e) => [e.threshold, e.period]).sort()).toEqual([
      [0.5, '2026-11-24'],
      [0.8, '2026-11-24'],
    ]);
    seen.stop();
  });

  it("onExceeded 'warn' admits past the limit and emits exceeded (warned); 'reject' refuses and emits exceeded (rejected)", async () => {
    const services = await start([
      { scope: 'user', period: 'day', tokens: 100, onExceeded: 'warn' },
      { scope: 'global', period: 'day', tokens: 250 },
    ]);
    const seen = collect(services);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await post(`${apps[i % 2].url}/echo`, { estimate: 60, result: usage(60) }, { 'x-user': 'u1' })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]); // the user budget warns; the global one (250) refuses the fifth

    const exceeded = seen.of('exceeded');
    expect(exceeded.filter((e) => e.action === 'warned').map((e) => e.used + e.reserved)).toEqual([120, 180, 240]);
    for (const e of exceeded.filter((x) => x.action === 'warned')) {
      expect(e).toMatchObject({
        scope: 'user',
        id: 'u1',
        reason: 'user_token_limit_exceeded',
        limit: 100,
        requested: 60,
        dimension: 'tokens',
      });
    }
    expect(exceeded.filter((e) => e.action === 'rejected')).toEqual([
      expect.objectContaining({ scope: 'global', id: 'all', reason: 'global_token_limit_exceeded', used: 240, limit: 250, requested: 60 }),
    ]);
    expect((await services[0].getUsage('u1'))[0]).toMatchObject({ used: 240, limit: 100, remaining: 0 });
    seen.stop();
  });
});

describe.each(PLATFORMS)('a route budget with thresholds and onExceeded (%s)', (platform) => {
  let app: TestApp;
  afterEach(() => app.close());

  it("fires its threshold once and warns instead of refusing past the route's limit", async () => {
    app = await startBudgetApp(platform, { keyPrefix: uniquePrefix() }, [SoftRouteController]);
    const seen = collect([app.app.get(BudgetService)]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await post(`${app.url}/soft`, { estimate: 40, result: usage(40) }, { 'x-user': 'u1' })).status);
    seen.stop();
    expect(statuses).toEqual([200, 200, 200]);
    expect(seen.of('threshold')).toEqual([expect.objectContaining({ scope: 'user', id: 'u1', feature: 'soft', threshold: 0.5, used: 80 })]);
    expect(seen.of('exceeded')).toEqual([
      expect.objectContaining({ action: 'warned', feature: 'soft', used: 80, reserved: 40, limit: 100 }),
    ]);
  });
});

describe.each(STORAGE_KINDS)('budget events from BudgetService on %s storage', (kind: StorageKind) => {
  let store: ReturnType<typeof makeStorage>;
  let env: Awaited<ReturnType<typeof budgetService>>;
  const clock = new TestClock(DAY);
  afterEach(async () => {
    await env.close();
    await store.close();
  });
  const start = async (options: TokenBudgetModuleOptions) => {
    clock.now = DAY;
    store = makeStorage(kind, 'app');
    env = await budgetService({ clock: clock.read, keyPrefix: uniquePrefix(), storage: store.storage, ...options });
    return env.budgets;
  };

  it('committed events carry the subject, scope, figures and period of every budget the call counted on', async () => {
    const budgets = await start({
      budgets: [
        { scope: 'user', period: 'month', tokens: 1_000 },
        { scope: 'tenant', period: 'day' },
      ],
    });
    const committed: BudgetCommittedEvent[] = [];
    const subscription = budgets.on('committed').subscribe((e) => committed.push(e));
    const reservation = await budgets.reserve({ user: 'u1', tenant: 'acme' }, 50);
    await reservation.commit({ inputTokens: 30, outputTokens: 12 });
    subscription.unsubscribe();
    expect(committed).toEqual([
      expect.objectContaining({
        type: 'committed',
        reservationId: reservation.id,
        scope: 'user',
        id: 'u1',
        period: '2026-11',
        used: 42,
        reserved: 0,
        limit: 1_000,
        tokens: 42,
      }),
      expect.objectContaining({
        type: 'committed',
        reservationId: reservation.id,
        scope: 'tenant',
        id: 'acme',
        period: '2026-11-23',
        used: 42,
        limit: 0,
      }),
    ]);
    expect(committed[0].usage).toMatchObject({ inputTokens: 30, outputTokens: 12, totalTokens: 42 });
    expect(committed[0].resetAt).toEqual(new Date('2026-12-01T00:00:00Z'));
  });

  it("committed events carry the call's own cost and the model it was priced at, beside the budget's total", async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'month' }] });
    const committed: BudgetCommittedEvent[] = [];
    const subscription = budgets.on('committed').subscribe((e) => committed.push(e));
    for (let i = 0; i < 2; i++)
      await (await budgets.reserve({ user: 'c1' }, 10)).commit({ inputTokens: 1_000, outputTokens: 1_000, model: 'gpt-4o-mini' });
    await (await budgets.reserve({ user: 'c1' }, 10)).commit(7); // usage that names no model, and no estimate model to price it
    subscription.unsubscribe();
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens
    expect(committed.map((e) => [e.callCostUsd, e.costUsd, e.model])).toEqual([
      [0.00075, 0.00075, 'gpt-4o-mini'],
      [0.00075, 0.0015, 'gpt-4o-mini'],
      [0, 0.0015, undefined],
    ]);
  });

  it('thresholds count grants and overrides in the effective limit, and money against the money limit', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 100, thresholds: [0.5] }] });
    const thresholds: BudgetThresholdEvent[] = [];
    const subscription = budgets.on('threshold').subscribe((e) => thresholds.push(e));
    await budgets.grant('u1', { tokens: 100 }); // effective 200: 0.5 is at 100
    await budgets.record('u1', 99);
    expect(thresholds).toEqual([]);
    await budgets.record('u1', 1);
    expect(thresholds).toEqual([expect.objectContaining({ threshold: 0.5, dimension: 'tokens', used: 100, limit: 200 })]);

    await budgets.setLimit('u2', { costUsd: 1 });
    const [target] = await budgets.targetsFor('u2', clock.now);
    const commitMoney = async (id: string, usd: number) => {
      const result = await store.storage.commit({ id, counters: [target.counter], amount: 0, cost: usdToNanos(usd), now: clock.now });
      return result ? result.crossed[0] : undefined;
    };
    expect(await commitMoney('m1', 0.49)).toEqual([]);
    expect(await commitMoney('m2', 0.01)).toEqual([{ fraction: 0.5, dimension: 'cost' }]); // $0.50 of the $1 override
    expect(await commitMoney('m3', 0.01)).toEqual([]);
    subscription.unsubscribe();
    const [u2] = await budgets.getUsage('u2');
    expect(u2).toMatchObject({ costUsd: 0.51, costLimitUsd: 1, requests: 3 });
  });

  it("check() and reserve() admit past an onExceeded 'warn' budget and still hold on it", async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 100, onExceeded: 'warn' }] });
    await budgets.record('u1', 100);
    expect(await budgets.check('u1', 50)).toMatchObject({ allowed: true });
    const reservation = await budgets.reserve('u1', 50);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ used: 100, reserved: 50, remaining: 0 });
    await reservation.release();
  });

  it('priced usage fires money thresholds and warns past a money limit', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', costUsd: 0.01, thresholds: [0.5], onExceeded: 'warn' }] });
    const seen = collect([budgets]);
    // gpt-4o-mini input is $0.15 per million tokens: 10,000 input tokens cost $0.0015
    const call = () =>
      budgets
        .reserve('u1', { inputTokens: 10_000, outputTokens: 0, model: 'gpt-4o-mini' })
        .then((r) => r.commit({ inputTokens: 10_000, outputTokens: 0, model: 'gpt-4o-mini' }));
    for (let i = 0; i < 3; i++) await call();
    expect(seen.of('threshold')).toEqual([]);
    await call(); // $0.006 of $0.01
    expect(seen.of('threshold')).toEqual([
      expect.objectContaining({ threshold: 0.5, dimension: 'cost', costUsd: 0.006, costLimitUsd: 0.01 }),
    ]);
    for (let i = 0; i < 3; i++) await call(); // the 7th holds $0.0105 > $0.01: warned, admitted
    seen.stop();
    expect(seen.of('exceeded')).toEqual([
      expect.objectContaining({ action: 'warned', dimension: 'cost', reason: 'user_cost_limit_exceeded', costUsd: 0.009 }),
    ]);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ costUsd: 0.0105, requests: 7, costRemainingUsd: 0 });
    const top = await budgets.listUsage({ scope: 'user', orderBy: 'cost' });
    expect(top.map((u) => [u.id, u.costUsd])).toEqual([['u1', 0.0105]]);
  });

  it('a threshold fires once when 40 concurrent commits cross it', async () => {
    const budgets = await start({ budgets: [{ scope: 'user', period: 'day', tokens: 1_000, thresholds: [0.8] }] });
    const fired: BudgetThresholdEvent[] = [];
    const warned: BudgetExceededEvent[] = [];
    const subscription = budgets.events$.subscribe((e) => {
      if (e.type === 'threshold') fired.push(e);
      if (e.type === 'exceeded') warned.push(e);
    });
    const reservations = await Promise.all(Array.from({ length: 40 }, () => budgets.reserve('u1', 25)));
    await Promise.all(reservations.map((r) => r.commit(25)));
    subscription.unsubscribe();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ threshold: 0.8, period: '2026-11-23' });
    expect(warned).toEqual([]);
  });
});
