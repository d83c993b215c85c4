import { BudgetExceededException } from '../budget-exceeded.exception';
import { isPromise, MaybePromise } from '../maybe-promise';
import type { Reservation } from '../reservation';
import { readerOf, RequestBodyEstimate } from './estimate-request-body';
import type { UsageEstimate } from './usage-estimate';

/** Options of `capMaxTokens`. */
export interface CapMaxTokensOptions {
  /**
   * Fewest output tokens a capped request may be left with; when the budget cannot hold the
   * prompt plus this many, the request is refused (429).
   * @default 1
   * @example { minOutputTokens: 256 }
   */
  minOutputTokens?: number;
}

/** A reservation made with `capMaxTokens`, and what it holds. */
export interface CappedReservation {
  reservation: Reservation;
  /** The estimate held: `outputTokens` is what the body's output limit was set to when capped. */
  usage: UsageEstimate;
}

/**
 * Reserves a request estimated from its body; when the budget cannot hold it whole, holds the
 * prompt plus the output the tightest budget has left (at least `minOutputTokens`) and lowers the
 * body's output limit (`max_tokens`, ...) to match. Each attempt is an ordinary atomic reserve, so
 * a cap computed from figures another request has since changed is refused again, never overshot;
 * the figures come from the refusal itself (the refusing counter's tokens left), so no separate
 * read is made. Refusals of cost limits are not capped. Tries at most `attempts` times.
 */
export function reserveCapped(
  reserve: (tokens: number) => MaybePromise<Reservation>,
  body: Record<string, unknown>,
  estimate: RequestBodyEstimate,
  minOutputTokens: number,
  attempts: number,
): MaybePromise<CappedReservation> {
  const { inputTokens } = estimate;
  const done = (reservation: Reservation, outputTokens: number): CappedReservation => {
    if (outputTokens < estimate.outputTokens) readerOf(body)?.writeMaxOutput(body, outputTokens);
    return { reservation, usage: { inputTokens, outputTokens, ...(estimate.model !== undefined ? { model: estimate.model } : {}) } };
  };
  const retry = (error: unknown, outputTokens: number, left: number): MaybePromise<CappedReservation> => {
    if (!(error instanceof BudgetExceededException) || !error.info.reason.endsWith('_token_limit_exceeded') || left <= 1) throw error;
    const capped = Math.min(outputTokens - 1, error.info.remaining - inputTokens);
    if (capped < minOutputTokens) {
      throw new BudgetExceededException({ ...error.info, requested: inputTokens + minOutputTokens });
    }
    return attempt(capped, left - 1);
  };
  const attempt = (outputTokens: number, left: number): MaybePromise<CappedReservation> => {
    let pending: MaybePromise<Reservation>;
    try {
      pending = reserve(inputTokens + outputTokens);
    } catch (error) {
      return retry(error, outputTokens, left);
    }
    if (isPromise(pending)) {
      return pending.then(
        (reservation) => done(reservation, outputTokens),
        (error: unknown) => retry(error, outputTokens, left),
      );
    }
    return done(pending, outputTokens);
  };
  return attempt(estimate.outputTokens, attempts);
}
