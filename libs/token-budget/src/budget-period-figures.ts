import type { BudgetScope } from './budget-scope';

/**
 * The figures of one budget (a rule's counter for one subject) in one period, as `getUsage`,
 * `listUsage` and every budget event report them.
 */
export interface BudgetPeriodFigures {
  scope: BudgetScope;
  /** Subject id (the feature name for `feature` rules, `all` for `global`). */
  id: string;
  feature?: string;
  /** Period key, e.g. `2026-11`. */
  period: string;
  /** Committed tokens in the period. */
  used: number;
  /** Tokens held by calls in flight. */
  reserved: number;
  /** Committed spend in USD (priced by model, summed exactly in nano-dollars). */
  costUsd: number;
  /** Money held by calls in flight, in USD. */
  costReservedUsd: number;
  /** Cost limit in force plus credits granted, in USD (0 = unlimited). */
  costLimitUsd: number;
  /** Start of the next period; `null` for lifetime budgets. */
  resetAt: Date | null;
}
