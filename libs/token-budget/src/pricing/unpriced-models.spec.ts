import { MemoryAdapter } from '../storage/memory.adapter';
import { budgetService } from '../../../../test/fixtures/service';
import { CostCalculator } from './cost-calculator';
import { lookUpModelPrice } from './model-price-lookup';

describe('lookUpModelPrice', () => {
  it('names where a model is priced from: pricing entry, catalog, local, unknown', () => {
    expect(lookUpModelPrice('My-Model', { 'my-model': { input: 1, output: 2 } })).toEqual({
      source: 'pricing',
      pricing: { input: 1, output: 2 },
    });
    expect(lookUpModelPrice('gpt-4o-mini')).toMatchObject({
      source: 'catalog',
      sheet: { matched: expect.stringContaining('gpt-4o-mini') },
    });
    expect(lookUpModelPrice('llama3.2:latest')).toEqual({ source: 'local' });
    expect(lookUpModelPrice('x:latest')).toEqual({ source: 'local' });
    expect(lookUpModelPrice('no-such-model-zz9')).toEqual({ source: 'unknown' });
    expect(lookUpModelPrice('m'.repeat(300))).toEqual({ source: 'unknown' });
  });

  it("the '*' entry prices what nothing else prices (local names too), never a catalog model", () => {
    const pricing = { '*': { input: 5, output: 20 } };
    expect(lookUpModelPrice('no-such-model-zz9', pricing)).toEqual({ source: 'default', pricing: { input: 5, output: 20 } });
    expect(lookUpModelPrice('x:latest', pricing)).toEqual({ source: 'default', pricing: { input: 5, output: 20 } });
    expect(lookUpModelPrice('gpt-4o-mini', pricing).source).toBe('catalog');
    expect(lookUpModelPrice('*', pricing).source).toBe('default');
  });
});

describe("CostCalculator with a '*' price", () => {
  const calc = new CostCalculator({ pricing: { '*': { input: 5, output: 20 } }, costLimited: true });

  it('charges unknown and local-looking models at it, catalog models at theirs', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 };
    expect(calc.usageCost({ ...usage, model: 'x:latest' })).toBe(25_000_000_000);
    expect(calc.usageCost({ ...usage, model: 'no-such-model-zz9' })).toBe(25_000_000_000);
    expect(calc.estimateCost({ inputTokens: 1_000_000, outputTokens: 0, model: 'x:latest' })).toBe(5_000_000_000);
    expect(calc.usageCost({ ...usage, model: 'gpt-4o-mini' })).toBe(750_000_000);
    // native Ollama results stay free
    expect(calc.usageCost({ ...usage, model: 'x:latest', provider: 'ollama' })).toBe(0);
  });
});

describe('per-call fees (feesUsd)', () => {
  it('are held with the estimate and charged with the usage; a bad amount is refused before any hold', async () => {
    const env = await budgetService({
      storage: new MemoryAdapter(),
      budgets: [{ scope: 'user', period: 'month', costUsd: 1 }],
      pricing: { m: { input: 1, output: 1 } },
    });
    try {
      const reservation = await env.budgets.reserve('u', { inputTokens: 1_000, outputTokens: 1_000, model: 'm', feesUsd: 0.25 });
      expect(reservation.heldCostUsd).toBeCloseTo(0.252, 9);
      const [held] = await env.budgets.getUsage('u');
      expect(held.costReservedUsd).toBeCloseTo(0.252, 9);
      await reservation.commit({ inputTokens: 500, outputTokens: 500, model: 'm' });
      const [after] = await env.budgets.getUsage('u');
      expect(after.costUsd).toBeCloseTo(0.251, 9);
      expect(after.costReservedUsd).toBe(0);
      // fees alone need no model
      const fee = await env.budgets.reserve('u', { inputTokens: 0, outputTokens: 0, feesUsd: 0.5 });
      expect(fee.heldCostUsd).toBe(0.5);
      await fee.release();
      // 0.251 spent: a call of 0.75 in fees does not fit the $1 budget
      await expect(env.budgets.reserve('u', { inputTokens: 0, outputTokens: 0, feesUsd: 0.75 })).rejects.toMatchObject({
        info: { reason: 'user_cost_limit_exceeded' },
      });
      await expect(env.budgets.reserve('u', { inputTokens: 1, outputTokens: 1, feesUsd: -1 })).rejects.toThrow(/estimate\.feesUsd is -1/);
      await expect(env.budgets.reserve('u', { inputTokens: 1, outputTokens: 1, feesUsd: Number.NaN })).rejects.toThrow(/feesUsd/);
    } finally {
      await env.close();
    }
  });

  it('requestFeesUsd adds them to every request estimate the guard makes (checked as an option)', async () => {
    const { optionProblems } = await import('../options/validate-options');
    expect(optionProblems({ requestFeesUsd: () => 1 })).toEqual([]);
    expect(optionProblems({ requestFeesUsd: 1 })).toEqual(['requestFeesUsd: must be a function']);
  });
});
