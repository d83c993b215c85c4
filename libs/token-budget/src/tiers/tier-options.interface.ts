import type { BudgetRequest } from '../budget-request';

/** What a tier guard does with a request over its tier's rate. */
export type TierEnforce = 'reject' | 'queue' | 'degrade';

/** The values of {@link TierEnforce}. */
export const TIER_ENFORCE_MODES: readonly TierEnforce[] = ['reject', 'queue', 'degrade'];

/**
 * One tier: a request rate, and optionally its own token budgets.
 *
 * @example
 * { limit: 5, ttl: 60_000, budgets: { month: 10_000 }, degradeTo: 'gpt-4o-mini' }
 * { limit: 50, ttl: '1m', burst: 20, tokensPerMinute: 40_000 }
 */
export interface TierDefinition {
  /**
   * Requests a user of this tier may make per window (`ttl`); 0 means no request limit (required).
   * @example 50
   */
  limit: number;
  /**
   * Length of the rate window, in ms or as a duration (`'30s'`, `'1m'`, `'1h'`).
   * @default 60_000
   */
  ttl?: number | string;
  /**
   * Unused requests of the window just before that may be spent on top of `limit`, at most
   * `burst`: a window admits `limit + min(burst, limit - previousWindowHits)` requests. A user who
   * was quiet for a window can send a burst; a user who used the whole previous window gets `limit`.
   * @default 0
   */
  burst?: number;
  /**
   * Token limits that replace those of the module's `user` budgets for users of this tier, keyed by
   * the budget's `name` (e.g. `'user:month'`) or its period (`'month'`, `'day'`, `'15m'`). 0 means
   * unlimited.
   * @example { month: 10_000 }
   */
  budgets?: Record<string, number>;
  /**
   * A short-period token budget for users of this tier: tokens per fixed minute, on top of the
   * other budgets. 0 or unset: none.
   * @example 40_000
   */
  tokensPerMinute?: number;
  /**
   * Cheaper model to serve requests over the rate when `enforce` is `'degrade'`; a tier without one
   * rejects instead.
   * @example 'gpt-4o-mini'
   */
  degradeTo?: string;
}

/** Answers the tier of a user, e.g. from a billing system. `undefined` means the default tier. */
export type TierResolveFn = (
  userId: string,
  req: BudgetRequest | undefined,
) => string | undefined | null | Promise<string | undefined | null>;

/**
 * Per-user request rates by tier, enforced by `TierThrottlerGuard` and shared across instances
 * through the module's storage.
 *
 * @example
 * tiers: {
 *   definitions: { free: { limit: 5, ttl: 60_000, budgets: { month: 10_000 } }, pro: { limit: 50, ttl: 60_000 } },
 *   default: 'free',
 *   assignments: { 'user-123': 'pro' },
 *   resolve: async (userId) => (await billing.plan(userId))?.tier,
 *   enforce: 'reject',
 * }
 */
export interface TierOptions {
  /**
   * The tiers by name (required).
   * @example { free: { limit: 5, ttl: 60_000 }, pro: { limit: 50, ttl: 60_000 } }
   */
  definitions: Record<string, TierDefinition>;
  /**
   * Tier of users that neither `assignments` nor `resolve` place (required).
   * @example 'free'
   */
  default: string;
  /**
   * Fixed tiers per user id; they win over `resolve`.
   * @default {}
   * @example { 'user-123': 'pro' }
   */
  assignments?: Record<string, string>;
  /**
   * Looks a user's tier up (called at most once per user per `cacheTtlMs`). When it throws, the last
   * tier it gave for that user is used, or the default tier if it never answered (logged).
   * @default undefined (assignments and the default tier only)
   * @example async (userId) => (await billing.subscription(userId))?.plan
   */
  resolve?: TierResolveFn;
  /**
   * How long a tier from `resolve` is used before asking again, in ms.
   * @default 60_000
   * @example 300_000
   */
  cacheTtlMs?: number;
  /**
   * Longest wait for `resolve`, in ms: past it the request goes on with the tier a failure would
   * give (the user's last known tier, else the default), and a late answer still updates the cache.
   * `0` waits without bound.
   * @default 2_000
   * @example 500
   */
  resolveTimeoutMs?: number;
  /**
   * Over the rate: `'reject'` answers 429, `'queue'` holds the request until the window frees (at
   * most `maxQueueMs`, then 429), `'degrade'` admits it with the tier's `degradeTo` model.
   * @default 'reject'
   */
  enforce?: TierEnforce;
  /**
   * Longest a request is held in `'queue'` mode, in ms; a request that cannot be admitted within it
   * is answered 429 at once.
   * @default 10_000
   */
  maxQueueMs?: number;
  /**
   * Tier of requests without a user id, counted per client IP (`req.ip`); only used when the
   * module's `anonymous` option is `'allow'`, otherwise such requests get 401.
   * @default the `default` tier
   */
  anonymousTier?: string;
}
