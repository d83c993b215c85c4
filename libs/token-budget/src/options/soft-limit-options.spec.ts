import { TokenBudgetOptionsError } from '../token-budget-options.error';
import { resolveRule } from '../rules';
import { validateOptions } from './validate-options';

describe('thresholds and onExceeded options', () => {
  it.each([
    [
      { thresholds: [0.8, 1.5] },
      'budgets[0].thresholds: must be an array of at most 20 fractions of the limit, each above 0 and at most 1, e.g. [0.8, 0.9]',
    ],
    [{ thresholds: 0.8 }, 'budgets[0].thresholds: must be an array of at most 20 fractions'],
    [{ thresholds: [0, 0.5] }, 'budgets[0].thresholds: must be an array of at most 20 fractions'],
    [{ thresholds: ['0.8'] }, 'budgets[0].thresholds: must be an array of at most 20 fractions'],
    [{ thresholds: Array.from({ length: 21 }, (_, i) => (i + 1) / 21) }, 'budgets[0].thresholds: must be an array of at most 20 fractions'],
    [{ onExceeded: 'log' }, "budgets[0].onExceeded: must be 'reject' or 'warn'"],
  ])('refuses %j at boot with one line naming the field', (extra, line) => {
    expect(() => validateOptions({ budgets: [{ scope: 'user', tokens: 100, ...extra }] })).toThrow(TokenBudgetOptionsError);
    expect(() => validateOptions({ budgets: [{ scope: 'user', tokens: 100, ...extra }] })).toThrow(line);
  });

  it('accepts fractions up to 1 and both modes; thresholds are kept ascending and unique', () => {
    expect(() =>
      validateOptions({ budgets: [{ scope: 'user', tokens: 100, thresholds: [0.9, 0.5, 1], onExceeded: 'warn' }] }),
    ).not.toThrow();
    const rule = resolveRule({ scope: 'user', tokens: 100, thresholds: [0.9, 0.5, 0.9], onExceeded: 'warn' });
    expect(rule.thresholds).toEqual([0.5, 0.9]);
    expect(rule.soft).toBe(true);
    expect(resolveRule({ scope: 'user', tokens: 100 })).toMatchObject({ thresholds: [], soft: false });
  });
});
