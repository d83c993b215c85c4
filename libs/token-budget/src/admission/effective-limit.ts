import type { BudgetTarget } from '../budget.types';
import { effectiveCostLimit, effectiveLimit, limitInForce } from '../storage/counter-arithmetic';
import type { CounterState } from '../storage/storage-adapter.interface';

/**
 * A budget's limits as a counter's state reports them, by the counter arithmetic of
 * `storage/counter-arithmetic.ts` (the rules every adapter is held to), applied to the rule's limits.
 */

/** The token limit in force for a budget: the subject's override (from storage) or the rule's. 0 = unlimited. */
export function limitOf(target: BudgetTarget, state: CounterState): number {
  return limitInForce(state.limit, target.rule.tokens);
}

/** `limit + carryover + granted`, or 0 when the budget is unlimited. */
export function effectiveLimitOf(target: BudgetTarget, state: CounterState): number {
  return effectiveLimit(limitOf(target, state), state.carryover, state.granted ?? 0);
}

/** The money limit in force in nano-dollars (override or rule); 0 = unlimited. */
export function costLimitOf(target: BudgetTarget, state: CounterState): number {
  return limitInForce(state.costLimit, target.rule.costLimit);
}

/** `costLimit + costGranted` in nano-dollars, or 0 when unlimited (money does not roll over). */
export function effectiveCostLimitOf(target: BudgetTarget, state: CounterState): number {
  return effectiveCostLimit(costLimitOf(target, state), state.costGranted ?? 0);
}
