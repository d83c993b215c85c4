import { BudgetExceededException } from 'nestjs-token-budget';
import { TestClock } from './fixtures/create-app';
import { useBudgetService } from './fixtures/service';
import { STORAGE_KINDS } from './fixtures/storages';

describe.each(STORAGE_KINDS)('rollover across month boundaries on %s', (kind) => {
  const clock = new TestClock(0);
  const env = useBudgetService(kind, {
    clock: clock.read,
    budgets: [{ scope: 'user', period: 'month', tokens: 100_000, rollover: { enabled: true, maxCarryover: 50_000 } }],
  });

  const usage = async (user: string) => (await env.budgets.getUsage(user))[0];

  it('carries min(unused, maxCarryover) into the next month and enforces the effective limit', async () => {
    clock.set('2026-10-15T12:00:00Z');
    await env.budgets.record('u', 30_000);
    clock.set('2026-11-01T00:00:00Z');
    expect(await usage('u')).toMatchObject({ period: '2026-11', carryover: 50_000, effectiveLimit: 150_000, used: 0, remaining: 150_000 });
    const reservation = await env.budgets.reserve('u', 150_000);
    await expect(env.budgets.reserve('u', 1)).rejects.toBeInstanceOf(BudgetExceededException);
    await reservation.commit(90_000);
    // December: November's effective limit was 150k and 90k of it was used: 60k unused, capped at 50k
    clock.set('2026-12-10T00:00:00Z');
    expect(await usage('u')).toMatchObject({ period: '2026-12', carryover: 50_000, effectiveLimit: 150_000 });
  });

  it('gives a bonus of 10k after 90k used of 100k', async () => {
    clock.set('2026-10-31T23:59:59.999Z');
    await env.budgets.record('u', 90_000);
    clock.set('2026-11-01T00:00:00Z');
    expect(await usage('u')).toMatchObject({ carryover: 10_000, effectiveLimit: 110_000 });
  });

  it('gives no bonus after a month with no record (no chaining over idle months)', async () => {
    clock.set('2026-09-10T00:00:00Z');
    await env.budgets.record('u', 1_000);
    clock.set('2026-11-05T00:00:00Z'); // October had no record
    expect(await usage('u')).toMatchObject({ carryover: 0, effectiveLimit: 100_000 });
    expect(await usage('never-seen')).toMatchObject({ carryover: 0, effectiveLimit: 100_000 });
  });

  it('gives no bonus when the previous month was overspent', async () => {
    clock.set('2026-10-02T00:00:00Z');
    await env.budgets.record('u', 120_000);
    clock.set('2026-11-02T00:00:00Z');
    expect(await usage('u')).toMatchObject({ carryover: 0, effectiveLimit: 100_000 });
  });

  it('counts holds still in flight at the boundary as used', async () => {
    clock.set('2026-10-31T23:59:00Z');
    await env.budgets.record('u', 50_000);
    const inFlight = await env.budgets.reserve('u', 30_000);
    clock.set('2026-11-01T00:00:30Z'); // the hold's lease (5 min) has not lapsed
    await env.budgets.record('u', 1);
    expect(await usage('u')).toMatchObject({ carryover: 20_000 }); // 100k - 50k used - 30k held
    await inFlight.commit(30_000);
    expect(await usage('u')).toMatchObject({ carryover: 20_000, used: 1 });
  });

  it('fixes the bonus at the first write of the period, whatever late commits do', async () => {
    clock.set('2026-10-20T00:00:00Z');
    await env.budgets.record('u', 80_000);
    const lateOctober = await env.budgets.reserve('u', 10_000);
    clock.set('2026-11-02T00:00:00Z');
    await env.budgets.record('u', 1);
    expect(await usage('u')).toMatchObject({ carryover: 20_000, used: 1 });
    await lateOctober.commit(10_000); // counts in October, where it was reserved
    expect(await usage('u')).toMatchObject({ carryover: 20_000, used: 1 });
  });
});
