import { TokenBudgetOptionsError } from './token-budget-options.error';
import { validateOptions } from './options/validate-options';
import type { ResolvedRule } from './rules';
import type { BudgetRule } from './budget-rule.interface';
import type { TokenBudgetRouteOptions } from './token-budget-route-options';
import type { RouteEstimation } from './estimation/request-estimator';
import type { UsageExtractor } from './usage/usage.interface';

/** A route's `@TokenBudget()` options, resolved once per handler. */
export interface RouteBudget extends RouteEstimation {
  feature: string;
  /** Every rule a request of this route is admitted on: the module's for its feature, then its own. */
  rules: ResolvedRule[];
  usage: UsageExtractor | undefined;
  /** The route's `stopStreamWhenExhausted`, when it sets one. */
  stopStreamWhenExhausted?: boolean;
  /** The route's `maxCallDurationMs`, when it sets one. */
  maxCallDurationMs?: number;
  /** `@SkipTokenBudget()` on the route or its controller. */
  skip: boolean;
  /** The route has `@TokenBudget()`, so TokenBudgetInterceptor settles it. */
  decorated: boolean;
  /**
   * TokenBudgetGuard leaves admission to TokenBudgetInterceptor: a `@TokenBudget()` route that is
   * not an `@Sse()` route. Nest sends an SSE route's headers on a timer once its interceptors
   * returned, so a hold still waiting for storage would be answered after them (a 200 with an
   * error event instead of a 429); such a route is admitted by the guard and settled by the
   * interceptor.
   */
  deferred: boolean;
}

/**
 * The route's own per-user rule, when its `@TokenBudget()` sets `tokens`; validated like module
 * budgets, with problems named after the route (`@TokenBudget() of ChatController.create.period: ...`).
 */
export function routeRuleOf(
  options: TokenBudgetRouteOptions,
  feature: string,
  where: string,
): (BudgetRule & { feature: string }) | undefined {
  if (options.tokens === undefined) return undefined;
  const { tokens, period, every, timezone, rollover, thresholds, onExceeded } = options;
  const rule = { scope: 'user' as const, feature, tokens, period, every, timezone, rollover, thresholds, onExceeded };
  try {
    validateOptions({ budgets: [rule] });
  } catch (error) {
    if (!(error instanceof TokenBudgetOptionsError)) throw error;
    throw new TokenBudgetOptionsError(error.problems.map((problem) => problem.replace('budgets[0]', `@TokenBudget() of ${where}`)));
  }
  return rule;
}

/** A route's `maxCallDurationMs`, checked: a non-negative integer of ms. */
export function callDurationOf(options: TokenBudgetRouteOptions, where: string): number | undefined {
  const ms = options.maxCallDurationMs;
  if (ms === undefined) return undefined;
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new TokenBudgetOptionsError([`@TokenBudget() of ${where}.maxCallDurationMs: must be at least 0 (ms; 0 = no limit)`]);
  return ms;
}
