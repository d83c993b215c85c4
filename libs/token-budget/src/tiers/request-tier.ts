import type { BudgetRequest } from '../budget-request';
import type { ResolvedTier } from './resolved-tier';
import { TIER_STATE_KEY } from './tier.constants';

/** The tier of one request, as TierThrottlerGuard resolved it. */
export interface RequestTier {
  readonly tier: ResolvedTier;
  /** `user:<id>` or, for anonymous requests, `ip:<address>` (escaped for storage keys). */
  readonly tracker: string;
  readonly userId: string | undefined;
}

/** The tier TierThrottlerGuard left on the request, if it ran. */
export function requestTier(req: BudgetRequest): RequestTier | undefined {
  const state = (req as Record<symbol, unknown> | undefined)?.[TIER_STATE_KEY];
  return state && typeof (state as Promise<unknown>).then !== 'function' ? (state as RequestTier) : undefined;
}
