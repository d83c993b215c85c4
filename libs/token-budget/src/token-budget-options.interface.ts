import type { BudgetRequest, BudgetResponse } from './budget-request';
import type { BudgetRule, EstimateFn, IdResolver, RolloverOptions } from './budget-rule.interface';
import type { BudgetPeriod } from './periods';
import type { ReservationPolicy, StorageAdapter } from './storage/storage-adapter.interface';
import type { PricingTable } from './pricing/model-pricing';
import type { UsageExtractor } from './usage/usage.interface';
import type { BudgetExceededInfo } from './budget-exceeded.exception';
import type { CapMaxTokensOptions } from './estimation/hold-options';
import type { FairHoldOptions } from './estimation/hold-options';
import type { PlausibleUsageOptions } from './usage/plausible-usage';
import type { EstimateInput } from './estimation/usage-estimate';
import type { TierOptions } from './tiers/tier-options.interface';

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
   * What a request holds when its route gives no `estimate` and its body is not an OpenAI,
   * Anthropic or Gemini request the built-in estimation reads.
   * @default 0 (admit while the counter is below its limit)
   * @example defaultEstimate: (req) => 2_000
   */
  defaultEstimate?: EstimateInput | EstimateFn;
  /**
   * USD a request costs beyond its tokens (per-call fees: a provider's server-side web search,
   * code execution...), added to its estimate as `feesUsd`: held on cost budgets at admission and
   * charged with the usage when the call settles. Applies to `{ inputTokens, outputTokens }`
   * estimates (those read from bodies included); a bare token count carries no fees.
   * @default undefined (no fees)
   * @example requestFeesUsd: (req) => (req.body?.tools?.some((t) => t.type === 'web_search') ? 0.01 : 0)
   */
  requestFeesUsd?: (req: BudgetRequest) => number | undefined;
  /**
   * Output tokens held for a request whose body sets no output limit (`max_tokens`,
   * `max_completion_tokens`, `max_output_tokens`, `generationConfig.maxOutputTokens`).
   * @default 1024
   * @example defaultMaxOutputTokens: 4_096
   */
  defaultMaxOutputTokens?: number;
  /**
   * When a request estimated from its body does not fit a budget, hold its prompt plus the output
   * the tightest budget has left and lower the body's output limit to that, instead of refusing it.
   * Refused (429) when not even `minOutputTokens` of output fit.
   * @default false
   * @example capMaxTokens: { minOutputTokens: 200 }
   */
  capMaxTokens?: boolean | CapMaxTokensOptions;
  /**
   * Set the output limit of a request admitted on an estimate read from its body to the output it
   * holds, before the handler and its pipes see the body: written when the body sets none (it then
   * holds `defaultMaxOutputTokens`) or a larger one (a lowered hold), in the field its provider
   * reads, once per completion. With `false` the body is sent as it came, and the budget may be
   * exceeded by whatever the provider bills beyond the hold.
   * @default true
   * @example enforceOutputLimit: false
   */
  enforceOutputLimit?: boolean;
  /**
   * Fair holds: a request estimated from its body holds at most `share` of what the tightest budget
   * has left after its prompt (never less than `minOutputTokens`, never more than
   * `maxOutputTokens`), and its output limit is lowered to that, instead of being refused or taking
   * the whole budget. Concurrent requests share what is left. Takes precedence over `capMaxTokens`.
   * @default false
   * @example fairHolds: { share: 0.25, minOutputTokens: 256 }
   */
  fairHolds?: boolean | FairHoldOptions;
  /**
   * Bounds on the usage a provider reports for a call admitted on a body estimate: output past the
   * output limit sent and input past `inputFactor` times the counted prompt are clamped, logged and
   * emitted as a `usage_anomaly` event; zero usage is charged the estimate. `false` charges reports as they are.
   * @default { inputFactor: 10 }
   * @example plausibleUsage: { inputFactor: 50 }
   */
  plausibleUsage?: false | PlausibleUsageOptions;
  /**
   * Reads usage from handler results, in place of the built-in provider readers.
   */
  usage?: UsageExtractor;
  /**
   * How long a reservation holds its tokens when nobody commits or releases it (a crashed
   * instance, a lost request), in ms. While its call runs (a handler that has not answered, a
   * stream still flowing) the lease is renewed every `leaseMs / 3`, so only a dead instance's
   * holds lapse, within one lease.
   * @default 300_000
   */
  leaseMs?: number;
  /**
   * Longest a budgeted call may run, in ms: past it, a stream is ended (its client gets a final
   * `call_duration_exceeded` event) and charged what it streamed (at least the prompt), a handler
   * still running is answered 504 and charged its estimate, and the hold is no longer renewed.
   * `0` sets no limit (a call that never ends then holds its tokens for as long as it runs).
   * Routes override it with `@TokenBudget({ maxCallDurationMs })`.
   * @default 900_000 (15 minutes)
   * @example maxCallDurationMs: 120_000
   */
  maxCallDurationMs?: number;
  /**
   * What happens to a commit or release that storage does not take (Redis away or slow, a Cluster
   * slot failing over): it is kept in memory (at most `maxPending`) and retried with the same
   * reservation id until storage takes it; on shutdown, retried for at most `flushTimeoutMs`, then
   * what is left is logged with its figures. Each is reported as a `settlement` event.
   * @default { maxPending: 10_000, flushTimeoutMs: 5_000 }
   * @example settlementRetry: { maxPending: 50_000, flushTimeoutMs: 8_000 }
   */
  settlementRetry?: SettlementRetryOptions;
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
   * Price overrides per model name (exact, case-insensitive), in USD per million tokens; they win
   * over the bundled catalog (@pydantic/genai-prices). Use them for fine-tunes, self-hosted or
   * negotiated prices. A negative or non-finite price fails the boot.
   * @default {} (catalog prices only)
   * @example pricing: { 'my-model': { input: 0.5, output: 1.5, cachedInput: 0.05 } }
   */
  pricing?: PricingTable;
  /**
   * Model that prices usage and estimates that name none (a bare token count such as
   * `commit(1_200)`, or a provider result without a model). A bare token estimate is priced at the
   * dearer of this model's input and output prices.
   * @default undefined (such usage costs 0 against cost budgets; a warning says so once)
   * @example defaultModel: 'gpt-4o-mini'
   */
  defaultModel?: string;
  /**
   * What admission does with an estimate that does not fit what a budget has left: `'strict'`
   * refuses the call (429); `'clamp'` holds what every counter has left (tokens and money each by
   * its own room) and admits while anything is left, so a budget is overshot by at most one call's
   * actual usage minus its hold.
   * @default 'strict'
   * @example reservationPolicy: 'clamp'
   */
  reservationPolicy?: ReservationPolicy;
  /**
   * End streamed responses cleanly, with a final `budget_exhausted` SSE event, once they have used
   * what the subject had left at admission (remaining budget plus the request's hold). Routes
   * override it with `@TokenBudget({ stopStreamWhenExhausted })`.
   * @default false
   * @example stopStreamWhenExhausted: true
   */
  stopStreamWhenExhausted?: boolean;
  /**
   * Source of the current time in epoch ms (tests inject one to cross period boundaries). Read on
   * MemoryAdapter and on `RedisAdapter` with `timeSource: 'app'`; a storage with a clock of its own
   * (RedisAdapter by default: the Redis server's) decides time instead, and this is not read.
   * @default Date.now
   * @example clock: () => testClock.now
   */
  clock?: () => number;
  /**
   * Request rates (and token budgets) per user tier, enforced by `TierThrottlerGuard`.
   * @default undefined (no tiers)
   * @example { definitions: { free: { limit: 5, ttl: 60_000 }, pro: { limit: 50, ttl: 60_000 } }, default: 'free' }
   */
  tiers?: TierOptions;
}

/** How commits and releases that storage did not take are kept and retried (`settlementRetry`). */
export interface SettlementRetryOptions {
  /**
   * Most settlements kept waiting for storage; past it a failed commit is logged with its figures
   * and dropped (a `settlement` event with `action: 'dropped'`).
   * @default 10_000
   */
  maxPending?: number;
  /**
   * On application shutdown, how long pending settlements are still retried, in ms (keep it
   * within your orchestrator's shutdown grace).
   * @default 5_000
   */
  flushTimeoutMs?: number;
}

/** Extra structural options of `forRoot` / `forRootAsync`. */
export interface TokenBudgetModuleExtras {
  /**
   * Register the module globally.
   * @default false
   */
  isGlobal?: boolean;
}
