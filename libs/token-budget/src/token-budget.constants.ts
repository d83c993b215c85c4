/** Resolved and validated module options (internal token). */
export const TOKEN_BUDGET_OPTIONS = Symbol('TOKEN_BUDGET:OPTIONS');
/** Metadata key of `@TokenBudget()` route options. */
export const TOKEN_BUDGET_ROUTE = 'TOKEN_BUDGET:ROUTE';
/** Metadata key of `@SkipTokenBudget()`. */
export const TOKEN_BUDGET_SKIP = 'TOKEN_BUDGET:SKIP';
/** Property of the request that holds the admission state. */
export const REQUEST_STATE_KEY = 'tokenBudget';
/** Property of the request that names the guard the interceptor admits through (its hooks apply). */
export const ADMITTER_KEY = Symbol('TOKEN_BUDGET:ADMITTER');
export const DEFAULT_KEY_PREFIX = 'tokenbudget';
export const DEFAULT_LEASE_MS = 300_000;
export const DEFAULT_MAX_CALL_DURATION_MS = 900_000;
export const DEFAULT_MAX_PENDING_SETTLEMENTS = 10_000;
export const DEFAULT_SETTLEMENT_FLUSH_MS = 5_000;
export const DEFAULT_MAX_ID_LENGTH = 256;
/** How long a period's record outlives the following period (clock skew between instances). */
export const EXPIRY_MARGIN_MS = 3_600_000;
