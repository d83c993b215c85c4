import type { ResolvedRule } from './rules';
import type { TokenBudgetRouteOptions } from './token-budget.decorator';
import type { EstimateFn } from './token-budget-options.interface';
import type { UsageExtractor } from './usage/usage.interface';

/** A route's `@TokenBudget()` options, resolved once per handler. */
export interface RouteBudget {
  feature: string;
  /** The route's own per-user rule, when it sets `tokens`. */
  rules: ResolvedRule[];
  estimate: number | EstimateFn | undefined;
  usage: UsageExtractor | undefined;
  /** `@SkipTokenBudget()` on the route or its controller. */
  skip: boolean;
}

export type { TokenBudgetRouteOptions };
