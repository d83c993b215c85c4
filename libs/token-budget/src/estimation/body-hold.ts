import type { BudgetHolds } from '../admission/budget-holds';
import { MaybePromise, then } from '../maybe-promise';
import type { Reservation } from '../reservation';
import type { UsageBounds } from '../usage/plausible-usage';
import { CappedReservation, reserveCapped } from './capped-reservation';
import type { RequestBodyEstimate } from './estimate-request-body';
import { fairOutputPerCompletion, needsRoom, OutputLowering, outputBounds } from './fair-output';
import type { RequestShapeReader } from './request-shape-reader';

/** How one route holds requests estimated from their bodies (a route's {@link RouteEstimation} has these). */
export interface BodyHoldRule {
  /** Fair holds or `capMaxTokens`; `undefined` holds the estimate as is. */
  lowering: OutputLowering | undefined;
  /** Set the body's output limit to the output held. */
  enforceOutputLimit: boolean;
}

/**
 * Holds a request estimated from its own body and makes the body agree with the hold: the output
 * limit sent is the output held.
 *
 * 1. Lowering (fair holds, `capMaxTokens`): the output asked for is lowered to
 *    `min(asked, max(least, share * (left - prompt)))`, where `left` is read first, and that is
 *    reserved in one atomic `'clamp'` reservation (see {@link reserveCapped}): concurrent requests
 *    that read the same `left` can only get less than they computed, never overshoot, and one left
 *    with less than `least` is refused.
 * 2. Without lowering, the estimate is reserved under the module's policy.
 * 3. The body's output limit is then lowered to the output held per completion when it is larger,
 *    or set when the body has none (`enforceOutputLimit`), and the reservation records the bounds
 *    of plausible usage (output limit sent, counted prompt times `inputFactor`; no bounds when
 *    `inputFactor` is `undefined`, i.e. `plausibleUsage: false`).
 */
export function reserveBodyEstimate(
  body: Record<string, unknown>,
  reader: RequestShapeReader,
  estimate: RequestBodyEstimate,
  rule: BodyHoldRule,
  inputFactor: number | undefined,
  holds: BudgetHolds,
): MaybePromise<CappedReservation> {
  const held = rule.lowering && reader.producesOutput ? holdLowered(estimate, rule.lowering, holds) : holdAsEstimated(estimate, holds);
  return then(held, (capped) => {
    const sent = sendHeldLimit(body, reader, estimate, capped.usage.outputTokens, rule.enforceOutputLimit);
    if (inputFactor !== undefined) capped.reservation.bound(boundsOf(estimate, sent, inputFactor));
    return capped;
  });
}

function holdLowered(estimate: RequestBodyEstimate, lowering: OutputLowering, holds: BudgetHolds): MaybePromise<CappedReservation> {
  const { inputTokens, choices } = estimate;
  const requestedPerCompletion = Math.floor(estimate.outputTokens / choices);
  const { asked, least } = outputBounds(requestedPerCompletion, lowering);
  const reserve = (perCompletion: number) => reserveCapped(holds, { ...estimate, outputTokens: perCompletion * choices }, least);
  if (!needsRoom(requestedPerCompletion, lowering)) return reserve(asked);
  return then(holds.room(), (room) => {
    // not even the least fits what was just read: asked strictly for the least (a 429 unless room came back)
    if (room < inputTokens + least * choices) return reserveLeast(estimate, least, holds);
    return reserve(fairOutputPerCompletion({ inputTokens, requestedPerCompletion, choices, room }, lowering));
  });
}

function reserveLeast(estimate: RequestBodyEstimate, least: number, holds: BudgetHolds): MaybePromise<CappedReservation> {
  const usage = { inputTokens: estimate.inputTokens, outputTokens: least * estimate.choices, ...extrasOf(estimate) };
  return then(holds.reserve(usage, 'strict', true), (reservation: Reservation) => ({ reservation, usage }));
}

function holdAsEstimated(estimate: RequestBodyEstimate, holds: BudgetHolds): MaybePromise<CappedReservation> {
  const model = extrasOf(estimate);
  return then(holds.reserve(estimate, holds.policy, true), (reservation: Reservation) => {
    // under the 'clamp' policy the hold may be smaller than the estimate: its output is what is left after the prompt
    const output = reservation.held < reservation.estimate ? Math.max(0, reservation.held - estimate.inputTokens) : estimate.outputTokens;
    return { reservation, usage: { inputTokens: estimate.inputTokens, outputTokens: output, ...model } };
  });
}

/**
 * Writes the output limit per completion that `heldOutput` allows when the body asks for more
 * (a lowered hold) or, with `enforce`, sets none; returns the limit the body now sends
 * (`undefined` when it sends none).
 */
function sendHeldLimit(
  body: Record<string, unknown>,
  reader: RequestShapeReader,
  estimate: RequestBodyEstimate,
  heldOutput: number,
  enforce: boolean,
): number | undefined {
  if (!reader.producesOutput) return 0;
  const requested = estimate.requestedOutputTokens;
  const heldPerCompletion = Math.floor(heldOutput / estimate.choices);
  const lowered = heldOutput < estimate.outputTokens;
  const unlimited = requested === undefined || requested > heldPerCompletion;
  // a limit of 0 is refused by providers: a body without one that holds no output (defaultMaxOutputTokens: 0) is left alone
  if (!lowered && !(enforce && unlimited && heldPerCompletion >= 1)) return requested;
  const limit = Math.max(1, heldPerCompletion);
  reader.writeMaxOutput(body, limit);
  return requested === undefined ? limit : Math.min(requested, limit);
}

/** The model and per-call fees of an estimate, carried by every hold made of it. */
function extrasOf(estimate: RequestBodyEstimate): Pick<RequestBodyEstimate, 'model' | 'feesUsd'> {
  return { ...(estimate.model !== undefined ? { model: estimate.model } : {}), ...(estimate.feesUsd ? { feesUsd: estimate.feesUsd } : {}) };
}

function boundsOf(estimate: RequestBodyEstimate, sentPerCompletion: number | undefined, inputFactor: number): UsageBounds {
  return {
    countedInputTokens: estimate.inputTokens,
    // a prompt counted as nothing bounds nothing
    inputTokens: estimate.inputTokens > 0 ? Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(estimate.inputTokens * inputFactor)) : undefined,
    outputTokens: sentPerCompletion === undefined ? undefined : sentPerCompletion * estimate.choices,
  };
}
