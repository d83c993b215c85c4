import type { BudgetService } from 'nestjs-token-budget';
import { TestClock } from './fixtures/create-app';
import { useBudgetService } from './fixtures/service';
import { STORAGE_KINDS, testRedis } from './fixtures/storages';

const HOLDS = 5_000;
const LEASE_MS = 60_000;

/** `count` one-token holds on the user's counter, never settled (their instance died). */
async function abandonHolds(budgets: BudgetService, user: string, count: number): Promise<void> {
  for (let made = 0; made < count; made += 250) {
    await Promise.all(Array.from({ length: Math.min(250, count - made) }, () => budgets.reserve(user, 1)));
  }
}

async function scriptCalls(): Promise<number> {
  const redis = testRedis();
  try {
    const stats = await redis.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  } finally {
    await redis.quit();
  }
}

describe.each(STORAGE_KINDS)('5,000 lapsed holds on one counter (%s)', (kind) => {
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  const env = useBudgetService(kind, {
    clock: clock.read,
    leaseMs: LEASE_MS,
    budgets: [{ scope: 'user', period: 'month', tokens: 10_000 }],
  });

  beforeEach(() => clock.set('2026-11-23T10:00:00Z'));

  it('are left out by reads and by reserves alike', async () => {
    await abandonHolds(env.budgets, 'read-first', HOLDS);
    await abandonHolds(env.budgets, 'reserve-first', HOLDS);
    expect((await env.budgets.getUsage('read-first'))[0]).toMatchObject({ reserved: HOLDS, remaining: 10_000 - HOLDS });
    clock.advance(LEASE_MS + 1); // every hold has lapsed
    // a read first: it says 10,000 left, and a reserve of all of it is admitted
    expect((await env.budgets.getUsage('read-first'))[0]).toMatchObject({ used: 0, reserved: 0, remaining: 10_000 });
    const all = await env.budgets.reserve('read-first', 10_000);
    expect(all.summary).toMatchObject({ remaining: 0 });
    // a reserve first, with no read before it: the same figures
    const calls = kind === 'redis' ? await scriptCalls() : 0;
    const whole = await env.budgets.reserve('reserve-first', 10_000);
    if (kind === 'redis') expect((await scriptCalls()) - calls).toBeGreaterThanOrEqual(HOLDS / 1_000); // each call drops a bounded batch
    expect(whole.summary).toMatchObject({ remaining: 0 });
    expect((await env.budgets.getUsage('reserve-first'))[0]).toMatchObject({ used: 0, reserved: 10_000, remaining: 0 });
    await whole.commit(10_000);
    expect((await env.budgets.getUsage('reserve-first'))[0]).toMatchObject({ used: 10_000, reserved: 0, remaining: 0 });
  }, 60_000);
});
