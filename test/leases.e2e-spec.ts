import { BudgetExceededException, InvalidUsageError } from 'nestjs-token-budget';
import { TestClock } from './fixtures/create-app';
import { useBudgetService } from './fixtures/service';
import { STORAGE_KINDS } from './fixtures/storages';

describe.each(STORAGE_KINDS)('reservations and leases on %s', (kind) => {
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  const env = useBudgetService(kind, {
    clock: clock.read,
    leaseMs: 60_000,
    budgets: [
      { scope: 'user', period: 'day', tokens: 1_000 },
      { scope: 'global', period: 'day', tokens: 5_000 },
    ],
  });

  const usage = async (user: string) => env.budgets.getUsage(user);

  it('releases a reservation whose holder never settles it once its lease ends', async () => {
    await env.budgets.reserve('u', 1_000); // a crashed holder: never committed, never released
    await expect(env.budgets.reserve('u', 1)).rejects.toBeInstanceOf(BudgetExceededException);
    expect((await usage('u'))[0]).toMatchObject({ reserved: 1_000 });
    clock.advance(60_000);
    expect((await usage('u'))[0]).toMatchObject({ reserved: 0, used: 0 });
    expect((await usage('u'))[1]).toMatchObject({ scope: 'global', reserved: 0 });
    const next = await env.budgets.reserve('u', 1_000);
    await next.commit(900);
    expect((await usage('u'))[0]).toMatchObject({ used: 900, reserved: 0 });
  });

  it('still counts a commit that arrives after the lease ended', async () => {
    const late = await env.budgets.reserve('u', 500);
    clock.advance(120_000);
    await late.commit(450);
    expect((await usage('u'))[0]).toMatchObject({ used: 450, reserved: 0 });
  });

  it('reserves on every counter or on none', async () => {
    await env.budgets.record('other', 4_500); // global has 500 left
    await expect(env.budgets.reserve('u', 600)).rejects.toMatchObject({ info: { scope: 'global', remaining: 500 } });
    const [user, global] = await usage('u');
    expect(user).toMatchObject({ used: 0, reserved: 0 });
    expect(global).toMatchObject({ used: 4_500, reserved: 0 });
  });

  it('releases on failure inside track() and commits the usage read from the result', async () => {
    await expect(env.budgets.track('u', async () => Promise.reject(new Error('boom')), { estimate: 300 })).rejects.toThrow('boom');
    expect((await usage('u'))[0]).toMatchObject({ used: 0, reserved: 0 });
    const result = await env.budgets.track('u', async () => ({ usage: { prompt_tokens: 11, completion_tokens: 22, total_tokens: 33 } }), {
      estimate: 300,
    });
    expect(result.usage.total_tokens).toBe(33);
    expect((await usage('u'))[0]).toMatchObject({ used: 33, reserved: 0 });
  });

  it.each([[-5], [Number.NaN], ['12'], [1.5], [{ inputTokens: -1, outputTokens: 2 }], [{}], [null]])(
    'refuses usage %p with a clear error and changes nothing',
    async (bad) => {
      const reservation = await env.budgets.reserve('u', 100);
      await expect(reservation.commit(bad as never)).rejects.toBeInstanceOf(InvalidUsageError);
      await expect(env.budgets.record('u', bad as never)).rejects.toThrow(/Invalid usage/);
      expect((await usage('u'))[0]).toMatchObject({ used: 0, reserved: 100 });
      expect(reservation.state).toBe('held');
      await reservation.commit(60);
      expect((await usage('u'))[0]).toMatchObject({ used: 60, reserved: 0 });
    },
  );

  it('refuses a bad estimate and settles each reservation once', async () => {
    await expect(env.budgets.reserve('u', -1)).rejects.toBeInstanceOf(InvalidUsageError);
    await expect(env.budgets.check('u', Number.NaN)).rejects.toBeInstanceOf(InvalidUsageError);
    const r = await env.budgets.reserve('u', 10);
    await r.commit(10);
    await expect(r.commit(10)).rejects.toThrow(/already committed/);
    await r.release();
    expect((await usage('u'))[0]).toMatchObject({ used: 10, reserved: 0 });
  });

  it('applies rules passed to a call, validated like module budgets', async () => {
    const hourly = [{ scope: 'user' as const, period: 'hour' as const, tokens: 50 }];
    await expect(env.budgets.reserve('u', 51, { rules: hourly })).rejects.toMatchObject({ info: { limit: 50 } });
    await (await env.budgets.reserve('u', 50, { rules: hourly })).commit(50);
    expect((await env.budgets.getUsage('u', { rules: hourly })).map((u) => [u.name, u.used])).toEqual([
      ['user:day', 50],
      ['global:day', 50],
      ['user:hour', 50],
    ]);
    await expect(env.budgets.reserve('u', 1, { rules: [{ scope: 'user', tokens: -1 }] })).rejects.toThrow(
      'budgets[0].tokens: must be a non-negative integer',
    );
  });

  it('refuses a bad per-call lease and changes nothing', async () => {
    await expect(env.budgets.reserve('u', 10, { leaseMs: Number.NaN })).rejects.toThrow('leaseMs must be a positive integer');
    await expect(env.budgets.reserve('u', 10, { leaseMs: 0 })).rejects.toThrow('leaseMs must be a positive integer');
    expect((await usage('u'))[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('keeps a feature-wide rule and a rule for one feature on separate counters', async () => {
    const rules = [
      { scope: 'feature' as const, period: 'day' as const, tokens: 1_000 },
      { scope: 'feature' as const, feature: 'summarize', period: 'day' as const, tokens: 300 },
    ];
    const subject = { user: 'u', feature: 'summarize' };
    await (await env.budgets.reserve(subject, 100, { rules })).commit(100);
    const report = await env.budgets.getUsage(subject, { rules });
    expect(report.filter((u) => u.scope === 'feature').map((u) => [u.limit, u.used, u.reserved])).toEqual([
      [1_000, 100, 0],
      [300, 100, 0],
    ]);
    await expect(env.budgets.reserve(subject, 201, { rules })).rejects.toMatchObject({ info: { scope: 'feature', limit: 300, used: 100 } });
  });

  it('check() reports without reserving', async () => {
    await env.budgets.record('u', 700);
    expect(await env.budgets.check('u', 300)).toMatchObject({ allowed: true, used: 700, limit: 1_000, remaining: 300 });
    expect(await env.budgets.check('u', 301)).toMatchObject({
      allowed: false,
      reason: 'user_token_limit_exceeded',
      scope: 'user',
      remaining: 300,
    });
    expect((await usage('u'))[0]).toMatchObject({ reserved: 0 });
  });

  it("reset() clears the subject's own budgets of the current period, not the shared ones", async () => {
    await env.budgets.record('u', 700);
    await env.budgets.reset('u');
    const [user, global] = await usage('u');
    expect(user).toMatchObject({ used: 0 });
    expect(global).toMatchObject({ used: 700 });
    await env.budgets.reset('u', { scopes: ['global'] });
    expect((await usage('u'))[1]).toMatchObject({ used: 0 });
  });
});

describe('track() when the commit fails', () => {
  it('returns the paid result and logs, leaving the hold to its lease', async () => {
    const { MemoryAdapter } = await import('nestjs-token-budget');
    const { budgetService } = await import('./fixtures/service');
    const storage = new MemoryAdapter();
    storage.commit = () => {
      throw new Error('storage went away');
    };
    const env = await budgetService({ storage, budgets: [{ scope: 'user', tokens: 1_000 }] });
    try {
      let calls = 0;
      const result = await env.budgets.track(
        'u',
        async () => ({ calls: ++calls, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
        { estimate: 10 },
      );
      expect(result.calls).toBe(1);
      expect((await env.budgets.getUsage('u'))[0]).toMatchObject({ used: 0, reserved: 10 });
    } finally {
      storage.onModuleDestroy();
      await env.close();
    }
  });
});
