import { validateOptions } from './options/validate-options';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { BudgetRule } from './budget-rule.interface';

/**
 * Validates the options (boot fails with one line per bad field) and folds the seed-style
 * `userBudget` shorthand into a monthly `user` rule.
 */
export function resolveOptions(raw: unknown): TokenBudgetModuleOptions {
  const options = validateOptions(raw);
  const { userBudget } = options;
  if (!userBudget) return options;
  const rule: BudgetRule = { scope: 'user', period: 'month', tokens: userBudget.monthlyTokenLimit, rollover: userBudget.rollover };
  return validateOptions({
    ...options,
    userBudget: undefined,
    extractUserId: options.extractUserId ?? userBudget.extractUserId,
    onBudgetExceeded: options.onBudgetExceeded ?? userBudget.onBudgetExceeded,
    budgets: [...(options.budgets ?? []), rule],
  });
}
