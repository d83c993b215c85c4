import type { BudgetPeriodFigures } from './budget-period-figures';
import type { ResolvedRule } from './rules';
import type { EstimateInput } from './estimation/usage-estimate';
import type { BudgetCounter, ReservationPolicy } from './storage/storage-adapter.interface';
import type { BudgetRule } from './budget-rule.interface';
import type { BudgetScope } from './budget-scope';
import type { UsageInput } from './usage/usage.interface';

/** Options of BudgetService calls. */
export interface ServiceCallOptions {
  /** Budgets for this call on top of the module's (e.g. a feature's own limit). */
  rules?: BudgetRule[];
  /**
   * Lease of the reservation in ms.
   * @default the module's leaseMs
   */
  leaseMs?: number;
  /**
   * Admission policy of this call.
   * @default the module's reservationPolicy ('strict')
   * @example { reservationPolicy: 'clamp' }
   */
  reservationPolicy?: ReservationPolicy;
}

/** Options of `BudgetService.reset`. */
export interface ResetOptions extends ServiceCallOptions {
  /**
   * Scopes to reset.
   * @default the scopes the subject names (`user` for a plain id)
   */
  scopes?: BudgetScope[];
}

/** Options of `BudgetService.track`. */
export interface TrackOptions<T> extends ServiceCallOptions {
  /**
   * Tokens to hold while `fn` runs, or `{ inputTokens, outputTokens, model }` (which also prices
   * the hold for cost budgets).
   * @default 0
   * @example { estimate: { inputTokens: 1_200, outputTokens: 500, model: 'gpt-4o-mini' } }
   */
  estimate?: EstimateInput;
  /** Reads usage from the result. Default: the built-in provider readers (OpenAI, Anthropic, Gemini, Ollama, Groq). */
  usage?: (result: T) => UsageInput | undefined;
}

/** Answer of `BudgetService.check`. */
export interface BudgetCheckResult {
  allowed: boolean;
  /** `<scope>_token_limit_exceeded` or `<scope>_cost_limit_exceeded` when not allowed. */
  reason?: string;
  /** Scope of the budget that refuses. */
  scope?: BudgetScope;
  /** Committed tokens of the budget that refuses, or of the token budget with the fewest tokens left. */
  used: number;
  /** Effective token limit of that budget (0 when it has none). */
  limit: number;
  /** Tokens it has left (`Infinity` when no budget has a token limit). */
  remaining: number;
  /** Start of its next period; `null` for lifetime budgets or none. */
  resetAt: Date | null;
  /** What the estimate would cost in USD (0 when no model prices it). */
  wouldCostUsd: number;
  /** Spend in USD of the budget that refuses, or of the cost budget with the least money left (0 when none has a cost limit). */
  costUsedUsd: number;
  /** Its cost limit in USD (0 when none). */
  costLimitUsd: number;
  /** USD it has left (`Infinity` when no budget has a cost limit). */
  costRemainingUsd: number;
}

/** One budget of a subject in its current period, from `BudgetService.getUsage`. */
export interface BudgetUsage extends BudgetPeriodFigures {
  /** Rule name (`user:month` unless the rule names itself). */
  name: string;
  /** Limit in force: the subject's `setLimit` override, else the rule's (0 = unlimited). */
  limit: number;
  /** Rollover bonus of this period. */
  carryover: number;
  /** Credits granted for this period (`grant`). */
  granted: number;
  /** `limit + carryover + granted` (0 = unlimited). */
  effectiveLimit: number;
  /** `effectiveLimit - used - reserved`, never negative; `Infinity` when unlimited. */
  remaining: number;
  /** Money granted for this period (`grant`), in USD. */
  costGrantedUsd: number;
  /** `costLimitUsd - costUsd - costReservedUsd`, never negative; `Infinity` when unlimited. */
  costRemainingUsd: number;
  /** Calls committed in the period. */
  requests: number;
}

/** @internal One budget that applies to a call: its rule, the subject id and the counter. */
export interface BudgetTarget {
  rule: ResolvedRule;
  id: string;
  counter: BudgetCounter;
  periodKey: string;
  /** Epoch ms of the period end (Infinity for lifetime). */
  resetAt: number;
}
