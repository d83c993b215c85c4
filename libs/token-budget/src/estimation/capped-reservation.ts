import { BudgetExceededException } from '../budget-exceeded.exception';
import { isPromise, MaybePromise, then } from '../maybe-promise';
import { Reservation, ReservationSettler } from '../reservation';
import type { ReservationPolicy } from '../storage/storage-adapter.interface';
import type { RequestBodyEstimate } from './estimate-request-body';
import type { UsageEstimate } from './usage-estimate';


/** A reservation made with `capMaxTokens`, and what it holds. */
export interface CappedReservation {
  reservation: Reservation;
  /** The estimate held: `outputTokens` is the output (all completions together) the request may produce. */
  usage: UsageEstimate;
}

/** Reserves `estimate`; with `announce: false` its admission events wait for {@link CappingPolicy.announce}. */
export type Reserve = (estimate: UsageEstimate, policy: ReservationPolicy, announce: boolean) => MaybePromise<Reservation>;

/** How a capped request is held and priced. */
export interface CappingPolicy {
  /** Fewest output tokens (per completion) the request may be left with. */
  minOutputTokens: number;
  /** Price of an estimate in nano-dollars (0 when it cannot be priced). */
  price: (estimate: UsageEstimate) => number;
  /**
   * The module's reservation policy, for money: under `'strict'` a call whose (capped) price does
   * not fit the money left is refused, never admitted with less money held than it costs.
   */
  costPolicy: ReservationPolicy;
  /** Emits the admission events of the clamped hold once it is kept (not when it is released and made again). */
  announce: (reservation: Reservation) => void;
}

/**
 * Reserves a request estimated from its body; when the budgets cannot hold it whole, holds the
 * prompt plus the output they have left (the caller then lowers the body's output limit to it). One atomic reserve with the `'clamp'` policy holds `min(estimate, tokens left)` on every
 * counter, so what is left is never read separately and concurrent requests never overshoot.
 * When less than the prompt plus `minOutputTokens` is left, that hold is released and the prompt
 * plus `minOutputTokens` is reserved strictly: admitted if room came back meanwhile, else 429.
 */
export function reserveCapped(reserve: Reserve, settler: ReservationSettler, estimate: RequestBodyEstimate, policy: CappingPolicy): MaybePromise<CappedReservation> {
  const { inputTokens, outputTokens } = estimate;
  // each of the body's completions gets the same output limit, so output is held in whole multiples of them
  const choices = estimate.choices ?? 1;
  const minOutput = policy.minOutputTokens * choices;
  const least = inputTokens + minOutput;
  const model = { ...(estimate.model !== undefined ? { model: estimate.model } : {}), ...(estimate.feesUsd ? { feesUsd: estimate.feesUsd } : {}) };
  const usage = (output: number): UsageEstimate => ({ inputTokens, outputTokens: output, ...model });
  const capped = (reservation: Reservation, output: number): CappedReservation => ({ reservation, usage: usage(output) });
  const strictly = (output: number): MaybePromise<CappedReservation> => then(reserve(usage(output), 'strict', true), (reservation) => capped(reservation, output));
  // the clamped hold may be released and made again: its events wait until it is kept
  return then(refusedAsLeast(() => reserve(usage(outputTokens), 'clamp', false), least), (clamped) => {
    if (clamped.held < least) return then(clamped.release(), () => strictly(minOutput));
    const left = clamped.held - inputTokens;
    const output = left >= outputTokens ? outputTokens : left - (left % choices);
    // the clamp held less money than the call may cost: money is not capped, so it is held strictly (a 429 unless room came back)
    if (policy.costPolicy === 'strict' && clamped.heldCostNanos < policy.price(usage(output))) return then(clamped.release(), () => strictly(output));
    policy.announce(clamped);
    if (output === outputTokens) return { reservation: clamped, usage: usage(outputTokens) };
    return capped(asHeld(clamped, settler, inputTokens + output, policy.price(usage(output))), output);
  });
}

/**
 * The same hold, with what it holds as its estimate: settled without usage, it commits the capped
 * total at the capped price.
 */
function asHeld(clamped: Reservation, settler: ReservationSettler, estimate: number, estimateCostNanos: number): Reservation {
  return new Reservation(clamped.id, estimate, clamped.counters, clamped.summary, settler, { ...clamped.hold, estimateCostNanos });
}

/** A refusal reports the least the request needs (prompt plus minOutputTokens), not its whole estimate. */
function refusedAsLeast(reserve: () => MaybePromise<Reservation>, least: number): MaybePromise<Reservation> {
  const rethrow = (error: unknown): never => {
    if (error instanceof BudgetExceededException && error.info.reason.endsWith('_token_limit_exceeded')) {
      throw new BudgetExceededException({ ...error.info, requested: least });
    }
    throw error;
  };
  try {
    const pending = reserve();
    return isPromise(pending) ? pending.catch(rethrow) : pending;
  } catch (error) {
    return rethrow(error);
  }
}
