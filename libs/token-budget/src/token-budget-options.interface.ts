import type { BudgetPeriod } from './periods';
import type { StorageAdapter } from './storage/storage-adapter.interface';
import type { UsageExtractor } from './usage/usage.interface';
import type { BudgetExceededInfo } from './budget-exceeded.exception';
import type { TierOptions } from './tiers/tier-options.interface';

/** Who a budget rule counts for. `feature` counts one route/feature across all callers. */
export type BudgetScope = 'user' | 'tenant' | 'key' | 'session' | 'feature' | 'global';

/** The values of {@link BudgetScope}. */
export const BUDGET_SCOPES: readonly BudgetScope[] = ['user', 'tenant', 'key', 'session', 'feature', 'global'];

/** Any request object (Express `Request`, Fastify `FastifyRequest`, or your own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BudgetRequest = any;
/** Any response object (Express `Response`, Fastify `FastifyReply`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BudgetResponse = any;

/** Reads an id from the request; return `undefined` when it does not apply to this request. */
export type IdResolver = (req: BudgetRequest) => string | number | undefined | null;

/** Estimates the tokens of a request before the handler runs. */
export type EstimateFn = (req: BudgetRequest) => number | Promise<number>;

/** Carry a period's unused tokens into the next one, up to a cap. */
export interface RolloverOptions {
  /** @default true when the object is given */
  enabled?: boolean;
  /**
   * Largest bonus a period can receive: `bonus = min(previousEffectiveLimit - previousUsed, maxCarryover)`.
   * @default the rule's token limit
   */
  maxCarryover?: number;
}

/**
 * A budget: a token limit per period for one scope.
 *
 * @example
 * { scope: 'user', period: 'month', tokens: 100_000, rollover: { enabled: true, maxCarryover: 50_000 } }
 * { scope: 'tenant', id: (req) => req.user?.orgId, period: 'day', tokens: 2_000_000, timezone: 'Europe/Paris' }
 * { scope: 'global', every: '15m', tokens: 500_000 }
 */
export interface BudgetRule {
  scope: BudgetScope;
  /**
   * Token limit per period; 0 means unlimited (usage is still counted).
   * @default 0
   */
  tokens?: number;
  /**
   * Calendar period. Ignored when `every` is set.
   * @default 'month'
   */
  period?: BudgetPeriod;
  /** Fixed windows numbered from the epoch instead of a calendar period: `'30s'`, `'15m'`, `'6h'`, `'2d'`. */
  every?: string;
  /**
   * IANA time zone in which calendar periods start.
   * @default 'UTC'
   */
  timezone?: string;
  rollover?: RolloverOptions;
  /**
   * How the guard finds this scope's id on a request. Defaults: `user` uses `extractUserId`,
   * `global` needs none, `feature` uses the route's feature; `tenant`, `key` and `session` need one
   * (a rule whose id resolves to nothing does not apply to that request).
   */
  id?: IdResolver;
  /** Only count requests to this feature (see `@TokenBudget({ feature })`). */
  feature?: string;
  /** A name for this rule in usage reports. Default: `<scope>:<period>`. */
  name?: string;
}

/** Seed-style shorthand for one monthly `user` rule. */
export interface UserBudgetOptions {
  extractUserId?: IdResolver;
  /** Monthly token limit; 0 means unlimited. */
  monthlyTokenLimit: number;
  rollover?: RolloverOptions;
  onBudgetExceeded?: OnBudgetExceeded;
}

/**
 * Called instead of the default 429 body. Return a value to use it as the 429 body, or send the
 * response yourself through `res`.
 */
export type OnBudgetExceeded = (req: BudgetRequest, res: BudgetResponse, info: BudgetExceededInfo) => unknown;

/** Options of `TokenBudgetModule.forRoot` / `forRootAsync`. */
export interface TokenBudgetModuleOptions {
  /**
   * Where counters live.
   * @default new MemoryAdapter()
   */
  storage?: StorageAdapter;
  /**
   * Prefix of every storage key.
   * @default 'tokenbudget'
   */
  keyPrefix?: string;
  /**
   * Reads the user id from the request.
   * @default (req) => req.user?.id
   */
  extractUserId?: IdResolver;
  /** Budgets every guarded request is admitted against. */
  budgets?: BudgetRule[];
  /** Shorthand for one monthly `user` rule. */
  userBudget?: UserBudgetOptions;
  onBudgetExceeded?: OnBudgetExceeded;
  /**
   * What the guard does when the user id cannot be resolved: `'reject'` answers 401, `'allow'`
   * admits the request on the rules that do not need a user.
   * @default 'reject'
   */
  anonymous?: 'reject' | 'allow';
  /**
   * Tokens held per request when the route gives no `estimate`.
   * @default 0 (admit while the counter is below its limit)
   */
  defaultEstimate?: number | EstimateFn;
  /**
   * Reads usage from handler results, in place of the built-in provider readers.
   */
  usage?: UsageExtractor;
  /**
   * How long a reservation holds its tokens when nobody commits or releases it (a crashed
   * instance, a lost request), in ms.
   * @default 300_000
   */
  leaseMs?: number;
  /**
   * When storage fails: `'closed'` answers 503, `'open'` admits without a reservation (logged).
   * @default 'closed'
   */
  failMode?: 'closed' | 'open';
  /**
   * Longest ids accepted (characters); longer ones are rejected with 400 / InvalidSubjectError.
   * @default 256
   */
  maxIdLength?: number;
  /**
   * Default period of `@TokenBudget(limit)` route budgets.
   * @default 'month'
   */
  routePeriod?: BudgetPeriod;
  /**
   * Source of the current time in epoch ms (tests inject one to cross period boundaries).
   * @default Date.now
   */
  clock?: () => number;
  /**
   * Request rates (and token budgets) per user tier, enforced by `TierThrottlerGuard`.
   * @default undefined (no tiers)
   * @example { definitions: { free: { limit: 5, ttl: 60_000 }, pro: { limit: 50, ttl: 60_000 } }, default: 'free' }
   */
  tiers?: TierOptions;
}

/** Extra structural options of `forRoot` / `forRootAsync`. */
export interface TokenBudgetModuleExtras {
  /**
   * Register the module globally.
   * @default false
   */
  isGlobal?: boolean;
}
