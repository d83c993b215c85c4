import { routeEstimationProblems } from './estimation.schema';
import { optionProblems } from './validate-options';

const problems = optionProblems;

describe('estimation options', () => {
  it('accepts token totals, usage estimates, functions, output defaults and capMaxTokens', () => {
    expect(problems({ defaultEstimate: 500, defaultMaxOutputTokens: 0, capMaxTokens: true })).toEqual([]);
    expect(
      problems({ defaultEstimate: { inputTokens: 200, outputTokens: 300, model: 'gpt-4o-mini' }, capMaxTokens: { minOutputTokens: 64 } }),
    ).toEqual([]);
    expect(problems({ defaultEstimate: () => 1, capMaxTokens: {} })).toEqual([]);
  });

  it('names each bad field on one line', () => {
    expect(
      problems({
        defaultEstimate: { inputTokens: -1, outputTokens: 3 },
        defaultMaxOutputTokens: 1.5,
        capMaxTokens: { minOutputTokens: 0 },
      }),
    ).toEqual([
      'defaultEstimate: must be a non-negative integer, { inputTokens, outputTokens, model? } of non-negative integers, or a function',
      'defaultMaxOutputTokens: must be a non-negative integer',
      'capMaxTokens: must be true, false or { minOutputTokens } with minOutputTokens a positive integer',
    ]);
    expect(problems({ capMaxTokens: 'yes' })).toEqual([
      'capMaxTokens: must be true, false or { minOutputTokens } with minOutputTokens a positive integer',
    ]);
    expect(problems({ capMaxTokens: { minOutput: 5 } })).toEqual([
      'capMaxTokens: must be true, false or { minOutputTokens } with minOutputTokens a positive integer',
    ]);
  });

  it('names the route of a bad @TokenBudget() estimation option', () => {
    expect(
      routeEstimationProblems(
        { estimate: 'lots', defaultMaxOutputTokens: -1, capMaxTokens: { minOutputTokens: 2 } },
        'ChatController.create',
      ),
    ).toEqual([
      '@TokenBudget() of ChatController.create.estimate: must be a non-negative integer, { inputTokens, outputTokens, model? } of non-negative integers, or a function',
      '@TokenBudget() of ChatController.create.defaultMaxOutputTokens: must be a non-negative integer',
    ]);
    expect(routeEstimationProblems({ estimate: { inputTokens: 1, outputTokens: 2 }, capMaxTokens: false }, 'X.y')).toEqual([]);
  });

  it('accepts fair holds, the output-limit switch and usage bounds, and names bad ones', () => {
    expect(problems({ fairHolds: true, enforceOutputLimit: false, plausibleUsage: false })).toEqual([]);
    expect(
      problems({ fairHolds: { share: 0.5, minOutputTokens: 64, maxOutputTokens: 8_192 }, plausibleUsage: { inputFactor: 50 } }),
    ).toEqual([]);
    expect(problems({ fairHolds: { share: 0 }, enforceOutputLimit: 'yes', plausibleUsage: { inputFactor: 0.5 } })).toEqual([
      'fairHolds: must be true, false or { share, minOutputTokens, maxOutputTokens } with share in (0, 1] and the token counts positive integers',
      'enforceOutputLimit: must be a boolean value',
      'plausibleUsage: must be false or { inputFactor } with inputFactor a finite number of at least 1',
    ]);
    expect(problems({ fairHolds: { share: 1.5 } })).toHaveLength(1);
    expect(problems({ fairHolds: { minOutputTokens: 0 } })).toHaveLength(1);
    expect(problems({ fairHolds: { floor: 5 } })).toHaveLength(1);
    expect(problems({ plausibleUsage: true })).toHaveLength(1);
    expect(routeEstimationProblems({ fairHolds: { share: 2 }, enforceOutputLimit: 1 }, 'X.y')).toEqual([
      '@TokenBudget() of X.y.fairHolds: must be true, false or { share, minOutputTokens, maxOutputTokens } with share in (0, 1] and the token counts positive integers',
      '@TokenBudget() of X.y.enforceOutputLimit: must be a boolean value',
    ]);
  });
});
