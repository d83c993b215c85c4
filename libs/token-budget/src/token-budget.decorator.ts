import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { TOKEN_BUDGET_ROUTE, TOKEN_BUDGET_SKIP } from './token-budget.constants';
import { TokenBudgetInterceptor } from './token-budget.interceptor';
import type { TokenBudgetRouteOptions } from './token-budget-route-options';

/**
 * Budgets a route (or every route of a controller): admits on the module budgets plus the route's
 * own limit, and commits the usage read from the handler's result.
 *
 * @example
 * @TokenBudget(20_000)
 * @TokenBudget({ tokens: 5_000, period: 'day', feature: 'summarize', estimate: () => 800 })
 */
export function TokenBudget(limitOrOptions: number | TokenBudgetRouteOptions = {}): MethodDecorator & ClassDecorator {
  const options = typeof limitOrOptions === 'number' ? { tokens: limitOrOptions } : limitOrOptions;
  return applyDecorators(SetMetadata(TOKEN_BUDGET_ROUTE, options), UseInterceptors(TokenBudgetInterceptor));
}

/** Exempts a route (or controller) from TokenBudgetGuard. */
export const SkipTokenBudget = (skip = true): MethodDecorator & ClassDecorator => SetMetadata(TOKEN_BUDGET_SKIP, skip);
