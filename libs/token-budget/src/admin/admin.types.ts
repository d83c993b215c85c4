import type { ResetOptions } from '../budget.types';
import type { BudgetScope } from '../budget-scope';

/**
 * Credits added by `BudgetService.grant` to the current period.
 * @example { tokens: 50_000 }
 * @example { costUsd: 5 }
 */
export interface GrantAmount {
  /** Tokens added to the effective limit of the current period (a non-negative integer). */
  tokens?: number;
  /** USD added to the money limit of the current period (non-negative; stored exactly in nano-dollars). */
  costUsd?: number;
}

/**
 * Per-subject limits set by `BudgetService.setLimit`, in place of the rule's; a field left out
 * keeps its current override (or the rule's limit).
 * @example { tokens: 1_000_000 }
 * @example { tokens: 0, costUsd: 20 }
 */
export interface LimitOverride {
  /** Token limit per period for this subject (a non-negative integer; 0 = unlimited, like a rule's). */
  tokens?: number;
  /** USD limit per period for this subject (non-negative; 0 = unlimited). */
  costUsd?: number;
}

/**
 * Options of `grant` and `setLimit`: which of the subject's budgets they apply to.
 * @example { rule: 'user:day' }
 * @example { scopes: ['tenant'] }
 */
export interface AdminOptions extends ResetOptions {
  /** Only the budget of this rule name (e.g. `'user:day'`). Default: every budget of the chosen scopes. */
  rule?: string;
}

/**
 * What `BudgetService.listUsage` ranks.
 * @example { scope: 'user', period: 'month', orderBy: 'cost', limit: 20 }
 */
export interface ListUsageQuery {
  /** Scope of the budget to rank (its rule must be among the module's or route budgets). */
  scope: BudgetScope;
  /**
   * Period of the rule (`'month'`, `'day'`, `'15m'`...), to choose among several rules of the scope.
   * Default: the scope's only rule.
   */
  period?: string;
  /** Feature of the rule, for feature rules and route budgets. */
  feature?: string;
  /** Rule name, to choose a rule directly. */
  rule?: string;
  /**
   * What to rank by: committed tokens, or committed money.
   * @default 'tokens'
   */
  orderBy?: 'tokens' | 'cost';
  /**
   * How many subjects, highest first.
   * @default 10
   */
  limit?: number;
}

/**
 * Query of `BudgetService.spendReport`.
 * @example { by: 'feature', period: 'day' }
 */
export interface SpendReportQuery {
  /**
   * What to break spend down by.
   * @default 'feature'
   */
  by?: 'feature';
  /** Period of the `feature` rule that counts spend (`'month'`, `'day'`...), when there are several. */
  period?: string;
}

/** One line of a spend report. */
export interface SpendReportLine {
  feature: string;
  tokens: number;
  /** Tokens held by calls in flight. */
  reserved: number;
  costUsd: number;
  /** Committed calls. */
  requests: number;
}

/** Spend of the current period, per feature, from `BudgetService.spendReport`. */
export interface SpendReport {
  by: 'feature';
  /** Period key, e.g. `2026-11`. */
  period: string;
  /** Name of the rule whose counters the report reads. */
  rule: string;
  /** Totals over the features. */
  tokens: number;
  costUsd: number;
  requests: number;
  /** Highest spend first. */
  lines: SpendReportLine[];
}
