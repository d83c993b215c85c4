/** Who a budget rule counts for. `feature` counts one route/feature across all callers. */
export type BudgetScope = 'user' | 'tenant' | 'key' | 'session' | 'feature' | 'global';

/** The values of {@link BudgetScope}. */
export const BUDGET_SCOPES: readonly BudgetScope[] = ['user', 'tenant', 'key', 'session', 'feature', 'global'];
