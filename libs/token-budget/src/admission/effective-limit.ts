import type { BudgetTarget } from '../budget.types';
import type { CounterState } from '../storage/storage-adapter.interface';

/** The token limit in force for a budget: the subject's override (from storage) or the rule's. 0 = unlimited. */
export function limitOf(target: BudgetTarget, state: CounterState): number {
  return state.limit ?? target.rule.tokens;
}

/** `limit + carryover + granted`, or 0 when the budget is unlimited. */
export function effectiveLimitOf(target: BudgetTarget, state: CounterState): number {
  const limit = limitOf(target, state);
  return limit > 0 ? limit + state.carryover + (state.granted ?? 0) : 0;
}

/** The money limit in force in nano-dollars (override or rule); 0 = unlimited. */
export function costLimitOf(target: BudgetTarget, state: CounterState): number {
  return state.costLimit ?? target.rule.costLimit;
}

/** `costLimit + costGranted` in nano-dollars, or 0 when unlimited (money does not roll over). */
export function effectiveCostLimitOf(target: BudgetTarget, state: CounterState): number {
  const limit = costLimitOf(target, state);
  return limit > 0 ? limit + (state.costGranted ?? 0) : 0;
}
