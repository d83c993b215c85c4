import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';

/** The source's own clock, bound, when it has one (`now(): number`: RedisAdapter on the server's time, TierThrottlerStorage). */
export function storageClock(source: object): (() => number) | undefined {
  const own = source as { now?: unknown };
  return typeof own.now === 'function' ? () => (own.now as () => number).call(source) : undefined;
}

/**
 * The time budgets and rate windows go by: the storage's own clock when it has one (so instances
 * with skewed clocks agree on Redis), else the module's `clock`, else `Date.now`.
 */
export function moduleClock(source: object, options: Pick<TokenBudgetModuleOptions, 'clock'>): () => number {
  return storageClock(source) ?? options.clock ?? Date.now;
}
