import type { UsageEstimate } from './estimation/usage-estimate';
import type { Reservation } from './reservation';
import type { UsageExtractor } from './usage/usage.interface';

/**
 * What admission leaves on the request (as `req.tokenBudget`) for your handler: TokenBudgetGuard's,
 * or on a `@TokenBudget()` route TokenBudgetInterceptor's (it admits there, after every guard).
 */
export interface TokenBudgetRequestState {
  /** The hold on the request's budgets; `undefined` when storage failed and failMode is 'open'. */
  reservation: Reservation | undefined;
  /** Feature (route) name the request was admitted under. */
  feature: string;
  /** Tokens held for the request. */
  estimate: number;
  /**
   * The estimate held, when it was more than a token total: read from the body (its
   * `outputTokens` is the output held, all completions together, which the body's output limit was
   * set to; lowered when fair holds or `capMaxTokens` lowered it) or returned so by an estimate function.
   */
  usageEstimate: UsageEstimate | undefined;
  /** The route's usage reader, if it has one. */
  usage: UsageExtractor | undefined;
  /**
   * Input (prompt) tokens of the estimate, when known: a stream cut short before the provider
   * reported its input counts this much input.
   */
  inputEstimate?: number;
  /** End streamed responses once the subject's remaining budget is spent (`stopStreamWhenExhausted`). */
  stopStreamWhenExhausted?: boolean;
  /** Longest the call may run, in ms (0 = no limit): the route's `maxCallDurationMs`, else the module's. */
  maxCallDurationMs?: number;
  /** True once TokenBudgetInterceptor took charge of settling the reservation. */
  intercepted: boolean;
  /** Set by TierThrottlerGuard (`enforce: 'degrade'`) when the request is over its tier's rate: serve it with `model`. */
  degraded?: DegradedRequest;
}

/** A request admitted over its tier's rate, to be served by the tier's cheaper model. */
export interface DegradedRequest {
  model: string;
  tier: string;
}

/** True once the request was admitted (TierThrottlerGuard may have left `degraded` before). */
export function isAdmitted(state: Partial<TokenBudgetRequestState> | undefined): state is TokenBudgetRequestState {
  return state !== undefined && state.feature !== undefined;
}

/** The request as TokenBudgetGuard sees it. */
export interface RequestWithTokenBudget {
  tokenBudget?: TokenBudgetRequestState;
}
