import { Logger } from '@nestjs/common';
import { BudgetExceededException, InvalidUsageError, nanosToUsd } from 'nestjs-token-budget';
import { GPT_4O_MINI_CALL, overlappingCalls } from './fixtures/cost-scenarios';
import { TestClock } from './fixtures/create-app';
import { useBudgetService } from './fixtures/service';
import { STORAGE_KINDS } from './fixtures/storages';

const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));

describe.each(STORAGE_KINDS)('cost budgets on %s', (kind) => {
  describe('a $1.00 daily user cap at gpt-4o-mini prices', () => {
    const env = useBudgetService(kind, { clock: clock.read, budgets: [{ scope: 'user', period: 'day', costUsd: 1 }] });

    it('admits exactly the floor of 500 concurrent calls whose estimate equals their cost, and commits at most $1.00', async () => {
      const floor = Math.floor(1e9 / GPT_4O_MINI_CALL.nanos); // 370 calls of $0.0027
      const { admitted, refusedReasons } = await overlappingCalls(
        env.budgets,
        500,
        () => 'spender',
        GPT_4O_MINI_CALL.estimate,
        GPT_4O_MINI_CALL.usage,
      );
      expect(admitted).toBe(floor);
      expect([...refusedReasons]).toEqual(['user_cost_limit_exceeded']);
      const [usage] = await env.budgets.getUsage('spender');
      expect(usage).toMatchObject({
        costUsd: nanosToUsd(floor * GPT_4O_MINI_CALL.nanos),
        costReservedUsd: 0,
        costLimitUsd: 1,
        requests: floor,
        used: floor * 12_000,
      });
      expect(usage.costUsd).toBeLessThanOrEqual(1);
      expect(usage.costRemainingUsd).toBe(nanosToUsd(1e9 - floor * GPT_4O_MINI_CALL.nanos));
    });

    it('check() says what a call would cost and whether it fits, without holding anything', async () => {
      const fits = await env.budgets.check('c', GPT_4O_MINI_CALL.estimate);
      expect(fits).toMatchObject({
        allowed: true,
        wouldCostUsd: 0.0027,
        costUsedUsd: 0,
        costLimitUsd: 1,
        costRemainingUsd: 1,
        limit: 0,
        remaining: Infinity,
      });
      await env.budgets.record('c', { inputTokens: 0, outputTokens: 1_660_000, model: 'gpt-4o-mini' }); // $0.996
      expect(await env.budgets.check('c', GPT_4O_MINI_CALL.estimate)).toMatchObject({
        allowed: true,
        costUsedUsd: 0.996,
        costRemainingUsd: 0.004,
      });
      await env.budgets.record('c', { inputTokens: 0, outputTokens: 5_000, model: 'gpt-4o-mini' }); // $0.003 more
      const refused = await env.budgets.check('c', GPT_4O_MINI_CALL.estimate);
      expect(refused).toMatchObject({
        allowed: false,
        reason: 'user_cost_limit_exceeded',
        scope: 'user',
        wouldCostUsd: 0.0027,
        costUsedUsd: 0.999,
        costRemainingUsd: 0.001,
      });
      expect(refused.resetAt).toEqual(new Date('2026-11-24T00:00:00Z'));
      expect((await env.budgets.getUsage('c'))[0]).toMatchObject({ costReservedUsd: 0, requests: 2 });
    });

    it('refuses with the cost reason and figures in USD', async () => {
      await env.budgets.record('r', { inputTokens: 0, outputTokens: 1_665_000, model: 'gpt-4o-mini' }); // $0.999
      const error: BudgetExceededException = await env.budgets.reserve('r', GPT_4O_MINI_CALL.estimate).then(
        () => Promise.reject(new Error('admitted')),
        (e: BudgetExceededException) => e,
      );
      expect(error).toBeInstanceOf(BudgetExceededException);
      expect(error.info).toMatchObject({
        reason: 'user_cost_limit_exceeded',
        unit: 'usd',
        used: 0.999,
        limit: 1,
        remaining: 0.001,
        requested: 0.0027,
      });
      expect(error.getResponse()).toMatchObject({
        reason: 'user_cost_limit_exceeded',
        unit: 'usd',
        message: expect.stringContaining('has $0.001 of $1 left and the request needs $0.0027'),
      });
    });
  });

  describe('exact money', () => {
    const env = useBudgetService(kind, {
      clock: clock.read,
      pricing: { 'fixed-price': { input: 123, output: 0 } },
      budgets: [{ scope: 'user', period: 'day' }],
    });

    it('sums 10,000 commits of $0.000123 to exactly $1.23', async () => {
      // 20 waves of 500 concurrent calls: all 10,000 at once queue past the client's command timeout on a busy host
      for (let wave = 0; wave < 20; wave++) {
        const calls = Array.from({ length: 500 }, async () => {
          const reservation = await env.budgets.reserve('exact', { inputTokens: 1, outputTokens: 0, model: 'fixed-price' });
          await reservation.commit({ inputTokens: 1, outputTokens: 0, model: 'fixed-price' });
        });
        await Promise.all(calls);
      }
      const [usage] = await env.budgets.getUsage('exact');
      expect(usage.costUsd).toBe(1.23);
      expect(usage.requests).toBe(10_000);
      expect(usage.costReservedUsd).toBe(0);
    }, 60_000);
  });

  describe('pricing the commit', () => {
    const env = useBudgetService(kind, {
      clock: clock.read,
      defaultModel: 'gpt-4o-mini',
      budgets: [{ scope: 'user', period: 'day', costUsd: 10 }],
    });

    it("prices usage that names no model with the estimate's model, and an estimate committed as is at its price", async () => {
      const r1 = await env.budgets.reserve('m', { inputTokens: 1_000, outputTokens: 0, model: 'gpt-4o' });
      expect(r1.estimatedCostUsd).toBe(0.0025);
      expect(r1.heldCostUsd).toBe(0.0025);
      await r1.commit({ inputTokens: 1_000, outputTokens: 0 });
      expect((await env.budgets.getUsage('m'))[0].costUsd).toBe(0.0025);
      const r2 = await env.budgets.reserve('m', 1_000); // bare count, defaultModel: at the output price, $0.0006
      expect(r2.heldCostUsd).toBe(0.0006);
      await r2.commit();
      expect((await env.budgets.getUsage('m'))[0]).toMatchObject({ costUsd: 0.0031, requests: 2 });
    });

    it('track() commits priced usage read from an OpenAI result', async () => {
      const result = await env.budgets.track(
        't',
        async () => ({ model: 'gpt-4o-mini', usage: { prompt_tokens: 2_000, completion_tokens: 1_000, total_tokens: 3_000 } }),
        {
          estimate: { inputTokens: 2_000, outputTokens: 1_000, model: 'gpt-4o-mini' },
        },
      );
      expect(result.usage.total_tokens).toBe(3_000);
      expect((await env.budgets.getUsage('t'))[0]).toMatchObject({ used: 3_000, costUsd: 0.0009, costReservedUsd: 0, requests: 1 });
    });
  });

  describe('bad input', () => {
    const env = useBudgetService(kind, { clock: clock.read, budgets: [{ scope: 'user', period: 'day', costUsd: 1, tokens: 10_000 }] });
    let warn: jest.SpyInstance;
    beforeEach(() => (warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined)));
    afterEach(() => warn.mockRestore());

    it('counts an unknown model at $0 with one warning, and still counts its tokens', async () => {
      await env.budgets.record('b', { inputTokens: 10, outputTokens: 5, model: 'acme-llm-9' });
      await env.budgets.record('b', { inputTokens: 10, outputTokens: 5, model: 'acme-llm-9' });
      expect((await env.budgets.getUsage('b'))[0]).toMatchObject({ used: 30, costUsd: 0, requests: 2 });
      const warnings = warn.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('acme-llm-9'));
      expect(warnings).toEqual([expect.stringContaining("No price for model 'acme-llm-9'")]);
    });

    it.each([
      [{ inputTokens: Number.NaN, outputTokens: 1, model: 'gpt-4o-mini' }, 'estimate.inputTokens is NaN'],
      [{ inputTokens: 1, outputTokens: -3, model: 'gpt-4o-mini' }, 'estimate.outputTokens is -3'],
      [{ inputTokens: 1, outputTokens: 1, model: 42 }, 'estimate.model is 42'],
      ['12', 'estimate is "12"'],
    ])('refuses the estimate %p with a clear error and holds nothing', async (estimate, message) => {
      await expect(env.budgets.reserve('b', estimate as never)).rejects.toThrow(InvalidUsageError);
      await expect(env.budgets.reserve('b', estimate as never)).rejects.toThrow(message);
      await expect(env.budgets.check('b', estimate as never)).rejects.toThrow(message);
      expect((await env.budgets.getUsage('b'))[0]).toMatchObject({ used: 0, reserved: 0, costUsd: 0, costReservedUsd: 0, requests: 0 });
    });

    it('refuses usage whose cost no counter can hold exactly, and stores nothing', async () => {
      const huge = { inputTokens: 0, outputTokens: Number.MAX_SAFE_INTEGER, model: 'gpt-4o-mini' };
      await expect(env.budgets.record('b', huge)).rejects.toThrow(/cost of this usage is past/);
      expect((await env.budgets.getUsage('b'))[0]).toMatchObject({ used: 0, costUsd: 0, requests: 0 });
    });
  });

  describe("the 'clamp' policy", () => {
    const env = useBudgetService(kind, {
      clock: clock.read,
      reservationPolicy: 'clamp',
      budgets: [
        { scope: 'user', period: 'day', tokens: 1_000 },
        { scope: 'tenant', period: 'day', costUsd: 0.001 },
      ],
    });

    it('holds what is left, admits while anything is left, and overshoots by at most one call', async () => {
      const subject = { user: 'cl', tenant: 'acme' };
      await env.budgets.record(subject, { inputTokens: 900, outputTokens: 0, model: 'gpt-4o-mini' }); // $0.000135
      const r = await env.budgets.reserve(subject, { inputTokens: 0, outputTokens: 500, model: 'gpt-4o-mini' }); // $0.0003
      expect(r.held).toBe(100);
      expect(r.heldCostUsd).toBe(0.0003);
      // nothing left in tokens: refused even under clamp
      await expect(env.budgets.reserve(subject, 1)).rejects.toMatchObject({ info: { reason: 'user_token_limit_exceeded' } });
      await r.commit({ inputTokens: 0, outputTokens: 500, model: 'gpt-4o-mini' });
      const [user] = await env.budgets.getUsage(subject);
      // overshoot = actual (500) - held (100)
      expect(user).toMatchObject({ used: 1_400, reserved: 0 });
      // strict, per call, refuses what clamp admits; check() answers by the same policy
      await env.budgets.reset(subject);
      expect(await env.budgets.check(subject, 1_001)).toMatchObject({ allowed: true, remaining: 1_000 });
      expect(await env.budgets.check(subject, 1_001, { reservationPolicy: 'strict' })).toMatchObject({
        allowed: false,
        reason: 'user_token_limit_exceeded',
      });
      await expect(env.budgets.reserve(subject, 1_001, { reservationPolicy: 'strict' })).rejects.toBeInstanceOf(BudgetExceededException);
      expect((await env.budgets.reserve(subject, 1_001)).held).toBe(1_000);
    });
  });
});
