import type { BudgetHolds } from '../admission/budget-holds';
import { MaybePromise, then } from '../maybe-promise';
import type { Reservation } from '../reservation';
import type { RequestBodyEstimate } from './estimate-request-body';
import type { UsageEstimate } from './usage-estimate';

/** A reservation made with `capMaxTokens`, and what it holds. */
export interface CappedReservation {
  reservation: Reservation;
  /** The estimate held: `outputTokens` is the output (all completions together) the request may produce. */
  usage: UsageEstimate;
}

/**
 * Reserves a request estimated from its body; when the budgets cannot hold it whole, holds the
 * prompt plus the output they have left (the caller then lowers the body's output limit to it).
 * One atomic reserve with the `'clamp'` policy holds `min(estimate, tokens left)` on every
 * counter, so what is left is never read separately and concurrent requests never overshoot.
 * When less than the prompt plus `minOutputTokens` (per completion) is left, that hold is released
 * and the prompt plus `minOutputTokens` is reserved strictly: admitted if room came back
 * meanwhile, else refused (a refusal reports the least the request needs, not its whole estimate).
 */
export function reserveCapped(holds: BudgetHolds, estimate: RequestBodyEstimate, minOutputTokens: number): MaybePromise<CappedReservation> {
  const { inputTokens, outputTokens } = estimate;
  // each of the body's completions gets the same output limit, so output is held in whole multiples of them
  const choices = estimate.choices ?? 1;
  const minOutput = minOutputTokens * choices;
  const least = inputTokens + minOutput;
  const model = {
    ...(estimate.model !== undefined ? { model: estimate.model } : {}),
    ...(estimate.feesUsd ? { feesUsd: estimate.feesUsd } : {}),
  };
  const usage = (output: number): UsageEstimate => ({ inputTokens, outputTokens: output, ...model });
  const capped = (reservation: Reservation, output: number): CappedReservation => ({ reservation, usage: usage(output) });
  const strictly = (output: number): MaybePromise<CappedReservation> =>
    then(holds.reserve(usage(output), 'strict', true), (reservation) => capped(reservation, output));
  // the clamped hold may be released and made again: its events wait until it is kept
  return then(holds.reserve(usage(outputTokens), 'clamp', false, least), (clamped) => {
    if (clamped.held < least) return then(clamped.release(), () => strictly(minOutput));
    const left = clamped.held - inputTokens;
    const output = left >= outputTokens ? outputTokens : left - (left % choices);
    // the clamp held less money than the call may cost: money is not capped, so it is held strictly (a 429 unless room came back)
    if (holds.policy === 'strict' && clamped.heldCostNanos < holds.price(usage(output)))
      return then(clamped.release(), () => strictly(output));
    holds.announce(clamped);
    if (output === outputTokens) return { reservation: clamped, usage: usage(outputTokens) };
    return capped(holds.asHeld(clamped, inputTokens + output, holds.price(usage(output))), output);
  });
}
