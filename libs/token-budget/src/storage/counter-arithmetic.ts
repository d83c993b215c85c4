import { saturated } from './checked-amounts';
import type { BudgetDimension, CounterState, ReserveResult } from './storage-adapter.interface';

/**
 * The arithmetic of a budget counter, stated once: effective limits with rollover and credits,
 * room, strict and clamp admission, the rollover bonus, limits in force, threshold crossing and
 * lease lapse. MemoryAdapter computes with these functions; the Lua scripts of RedisAdapter
 * (`redis-scripts/`) write the same rules in Lua, and `test/counter-arithmetic.e2e-spec.ts` runs
 * the cases of `counter-arithmetic.spec.ts` through a real redis-server to hold both to this file.
 *
 * Every figure is an integer in [0, 2^53 - 1]; sums are saturated at 2^53 - 1 ({@link saturated}),
 * so a counter past the bound is exhausted for any limit instead of rounding.
 */

/** The token limit a request is measured against: `limit + carryover + granted` (saturated), 0 when `limit` is 0 (unlimited). */
export function effectiveLimit(limit: number, carryover: number, granted: number): number {
  return limit > 0 ? saturated(limit + carryover + granted) : 0;
}

/** The money limit: `costLimit + costGranted` (saturated), 0 when unlimited. Money does not roll over. */
export function effectiveCostLimit(costLimit: number, costGranted: number): number {
  return costLimit > 0 ? saturated(costLimit + costGranted) : 0;
}

/** What a limited counter has left: `effective - used - reserved` (negative when holds or late commits passed it). */
export function roomOf(effective: number, used: number, reserved: number): number {
  return effective - used - reserved;
}

/**
 * Whether a limited counter admits `amount` (tokens or nano-dollars) with `room` left. Strict:
 * `amount <= room` (the whole estimate fits). Clamp, or an amount of 0 (nothing to hold): `room > 0`
 * (anything left). So with no estimate a request is admitted while the counter is below its limit.
 */
export function admits(room: number, amount: number, clamp: boolean): boolean {
  return clamp || amount <= 0 ? room > 0 : amount <= room;
}

/** The limit in force: the subject's override when it has one, else the rule's. */
export function limitInForce(override: number | undefined, ruleLimit: number): number {
  return override ?? ruleLimit;
}

/** The figures of the previous period a rollover bonus is computed from. */
export interface PreviousPeriod {
  /** The token limit in force at its last write (0 = unlimited: no bonus). */
  limit: number;
  /** Its own rollover bonus. */
  carryover: number;
  granted?: number;
  /** Committed usage (on Redis: with the usage of prepared commits its sweep charges). */
  used: number;
  /** Live holds (lapsed ones left out). */
  reserved: number;
}

/**
 * The rollover bonus of a period: `min(previousUnused, maxCarryover)`, where `previousUnused =
 * max(0, previousEffectiveLimit - previousUsed - previousHeld)`. 0 without rollover, without a
 * record in the immediately preceding period (no chaining back over idle periods), or when that
 * period was unlimited. Fixed at the period's first write.
 */
export function rolloverBonus(maxCarryover: number, previous: PreviousPeriod | undefined): number {
  if (maxCarryover <= 0 || previous === undefined || previous.limit <= 0) return 0;
  const unused = roomOf(effectiveLimit(previous.limit, previous.carryover, previous.granted ?? 0), previous.used, previous.reserved);
  return unused <= 0 ? 0 : Math.min(unused, maxCarryover);
}

/**
 * Strict or clamp admission across the counters of one reservation, all or none. `states[i]` is
 * counter i as read (limits in force, lapsed holds left out), or undefined for a counter that
 * never refuses (soft, or unlimited in both dimensions). Admits iff every limited counter admits
 * in each dimension ({@link admits}); holds `min(estimate, smallest room)` per dimension (the
 * estimate itself under strict). A refusal names the first counter and dimension that refused.
 * Allocation-free beyond its answer: an admission answers with `states` itself, for the caller to
 * fill with the states after the hold.
 */
export function admission(states: (CounterState | undefined)[], amount: number, cost: number, clamp: boolean): ReserveResult {
  let held = amount;
  let heldCost = cost;
  for (let i = 0; i < states.length; i++) {
    const state = states[i];
    if (state === undefined) continue;
    const limit = state.limit ?? 0;
    if (limit > 0) {
      const room = roomOf(effectiveLimit(limit, state.carryover, state.granted ?? 0), state.used, state.reserved);
      if (!admits(room, amount, clamp)) return refusal(i, 'tokens', state);
      if (room < held) held = room;
    }
    const costLimit = state.costLimit ?? 0;
    if (costLimit > 0) {
      const room = roomOf(effectiveCostLimit(costLimit, state.costGranted ?? 0), state.costUsed, state.costReserved);
      if (!admits(room, cost, clamp)) return refusal(i, 'cost', state);
      if (room < heldCost) heldCost = room;
    }
  }
  return { admitted: true, states: states as CounterState[], held, heldCost };
}

function refusal(index: number, dimension: BudgetDimension, state: CounterState): ReserveResult {
  return { admitted: false, index, dimension, state };
}

/**
 * Whether committed usage has reached a threshold: `value >= fraction * effective` on a limited
 * counter. A commit reports each threshold of a period once: the first commit that reaches it.
 */
export function reachesThreshold(value: number, fraction: number, effective: number): boolean {
  return effective > 0 && value >= fraction * effective;
}

/** Whether a hold's lease has lapsed at `now`: it ends at `until` (inclusive), after which it is left out of every figure. */
export function hasLapsed(until: number, now: number): boolean {
  return until <= now;
}
