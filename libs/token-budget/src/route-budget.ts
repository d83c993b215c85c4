import type { ResolvedRule } from './rules';
import type { TokenBudgetRouteOptions } from './token-budget.decorator';
import type { EstimateFn } from './token-budget-options.interface';
import type { UsageExtractor } from './usage/usage.interface';

/** A route's `@TokenBudget()` options, resolved once per handler. */
export interface RouteBudget {
  feature: string;
  /** Every rule a request of this route is admitted on: the module's for its feature, then its own. */
  rules: ResolvedRule[];
  estimate: number | EstimateFn | undefined;
  usage: UsageExtractor | undefined;
  /** `@SkipTokenBudget()` on the route or its controller. */
  skip: boolean;
  /** The route has `@TokenBudget()`, so TokenBudgetInterceptor admits and settles it. */
  decorated: boolean;
}

export type { TokenBudgetRouteOptions };
