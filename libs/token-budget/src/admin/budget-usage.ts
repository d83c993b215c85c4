import type { BudgetTarget, BudgetUsage } from '../budget.types';
import type { CounterState } from '../storage/storage-adapter.interface';
import { effectiveLimitOf, limitOf, remainingOf } from './effective-limit';

/** The figures `getUsage` and `listUsage` report for one budget. */
export function budgetUsageOf(target: BudgetTarget, state: CounterState): BudgetUsage {
  const { rule } = target;
  return {
    name: rule.name,
    scope: rule.scope,
    id: target.id,
    ...(rule.feature ? { feature: rule.feature } : {}),
    period: target.periodKey,
    used: state.used,
    reserved: state.reserved,
    limit: limitOf(target, state),
    carryover: state.carryover,
    granted: state.granted ?? 0,
    effectiveLimit: effectiveLimitOf(target, state),
    remaining: remainingOf(target, state),
    resetAt: Number.isFinite(target.resetAt) ? new Date(target.resetAt) : null,
  };
}
