/** Property of the request that holds the tier TierThrottlerGuard resolved for it. */
export const TIER_STATE_KEY = Symbol('TOKEN_BUDGET:TIER');
export const DEFAULT_MAX_QUEUE_MS = 10_000;
/** Name of the throttler TierThrottlerGuard registers (`default`, so headers carry no suffix). */
export const TIER_THROTTLER_NAME = 'default';
