import type { BudgetTarget } from '../budget.types';
import type { CounterState } from '../storage/storage-adapter.interface';
import { roomOf } from '../storage/counter-arithmetic';
import { effectiveLimitOf } from './effective-limit';

/**
 * Tokens the tightest limited budget has left: `min(effectiveLimit - used - reserved)` over the
 * counters that can refuse (soft `onExceeded: 'warn'` budgets never do); `Infinity` when none is
 * limited. Never below 0.
 */
export function tokensLeft(targets: readonly BudgetTarget[], states: readonly CounterState[]): number {
  let left = Infinity;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i].rule.soft) continue;
    const limit = effectiveLimitOf(targets[i], states[i]);
    if (limit > 0) left = Math.min(left, Math.max(0, roomOf(limit, states[i].used, states[i].reserved)));
  }
  return left;
}
