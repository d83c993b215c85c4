import type { BudgetTarget, BudgetUsage } from '../budget.types';
import { nanosToUsd } from '../pricing/money';
import type { CounterState } from '../storage/storage-adapter.interface';
import { effectiveCostLimitOf, effectiveLimitOf, limitOf, remainingOf } from './effective-limit';

/** The figures `getUsage` and `listUsage` report for one budget. */
export function budgetUsageOf(target: BudgetTarget, state: CounterState): BudgetUsage {
  const { rule } = target;
  const costLimit = effectiveCostLimitOf(target, state);
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
    costUsd: nanosToUsd(state.costUsed),
    costReservedUsd: nanosToUsd(state.costReserved),
    costLimitUsd: nanosToUsd(costLimit),
    costGrantedUsd: nanosToUsd(state.costGranted ?? 0),
    costRemainingUsd: costLimit > 0 ? nanosToUsd(Math.max(0, costLimit - state.costUsed - state.costReserved)) : Infinity,
    requests: state.requests,
    resetAt: Number.isFinite(target.resetAt) ? new Date(target.resetAt) : null,
  };
}
