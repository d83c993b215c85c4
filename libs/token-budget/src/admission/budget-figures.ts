import type { BudgetExceededInfo } from '../budget-exceeded.exception';
import type { BudgetCheckResult, BudgetTarget, BudgetUsage } from '../budget.types';
import { nanosToUsd } from '../pricing/money';
import type { AdmissionSummary } from '../reservation';
import type { BudgetDimension, CounterState, ReservationPolicy } from '../storage/storage-adapter.interface';
import { roomOf } from '../storage/counter-arithmetic';
import { costLimitOf, effectiveCostLimitOf, effectiveLimitOf, limitOf } from './effective-limit';

/** Tokens a counter has left (limit in force + carryover + granted); never negative. */
export function remainingOf(target: BudgetTarget, state: CounterState): number {
  return Math.max(0, roomOf(effectiveLimitOf(target, state), state.used, state.reserved));
}

/** Nano-dollars a counter has left (money limit in force + granted); never negative. */
export function costRemainingOf(target: BudgetTarget, state: CounterState): number {
  return Math.max(0, roomOf(effectiveCostLimitOf(target, state), state.costUsed, state.costReserved));
}

/** The counter refuses calls on tokens: it has a token limit and is not `onExceeded: 'warn'`. */
function enforcesTokens(target: BudgetTarget, state: CounterState): boolean {
  return limitOf(target, state) > 0 && !target.rule.soft;
}

function enforcesCost(target: BudgetTarget, state: CounterState): boolean {
  return costLimitOf(target, state) > 0 && !target.rule.soft;
}

export function resetOf(target: BudgetTarget): Date | null {
  return Number.isFinite(target.resetAt) ? new Date(target.resetAt) : null;
}

/** Why `target` refuses, in the unit of the refusing dimension (tokens, or USD for money). */
export function exceededInfo(
  target: BudgetTarget,
  state: CounterState,
  requested: { tokens: number; costNanos: number },
  now: number,
  dimension: BudgetDimension,
): BudgetExceededInfo {
  const resetAt = resetOf(target);
  const figures =
    dimension === 'cost'
      ? {
          unit: 'usd' as const,
          used: nanosToUsd(state.costUsed),
          reserved: nanosToUsd(state.costReserved),
          limit: nanosToUsd(effectiveCostLimitOf(target, state)),
          remaining: nanosToUsd(costRemainingOf(target, state)),
          requested: nanosToUsd(requested.costNanos),
        }
      : {
          unit: 'tokens' as const,
          used: state.used,
          reserved: state.reserved,
          limit: effectiveLimitOf(target, state),
          remaining: remainingOf(target, state),
          requested: requested.tokens,
        };
  return {
    reason: `${target.rule.scope}_${dimension === 'cost' ? 'cost' : 'token'}_limit_exceeded`,
    scope: target.rule.scope,
    id: target.id,
    ...(target.rule.feature ? { feature: target.rule.feature } : {}),
    ...figures,
    resetAt,
    retryAfterSeconds: resetAt ? Math.max(1, Math.ceil((resetAt.getTime() - now) / 1000)) : null,
  };
}

/** The counter with the fewest tokens left after admission, for `X-TokenBudget-*` headers. */
export function admissionSummary(targets: BudgetTarget[], states: CounterState[]): AdmissionSummary | undefined {
  let summary: AdmissionSummary | undefined;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    const limit = effectiveLimitOf(target, states[i]);
    if (limit <= 0) continue;
    const remaining = remainingOf(target, states[i]);
    if (!summary || remaining < summary.remaining) {
      summary = { limit, remaining, resetAt: resetOf(target) };
    }
  }
  return summary;
}

/** One budget's usage report. */
export function usageOf(target: BudgetTarget, state: CounterState): BudgetUsage {
  const { rule } = target;
  const limited = limitOf(target, state) > 0;
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
    remaining: limited ? remainingOf(target, state) : Infinity,
    costUsd: nanosToUsd(state.costUsed),
    costReservedUsd: nanosToUsd(state.costReserved),
    costLimitUsd: nanosToUsd(costLimit),
    costGrantedUsd: nanosToUsd(state.costGranted ?? 0),
    costRemainingUsd: costLimit > 0 ? nanosToUsd(costRemainingOf(target, state)) : Infinity,
    requests: state.requests,
    resetAt: resetOf(target),
  };
}

/**
 * The answer of `check()`: the admission rule of a reservation under `policy`, read without holding
 * anything. Reports the refusing budget, else the tightest token and cost budgets.
 */
export function checkResult(
  targets: BudgetTarget[],
  states: CounterState[],
  tokens: number,
  costNanos: number,
  policy: ReservationPolicy,
): BudgetCheckResult {
  const wouldCostUsd = nanosToUsd(costNanos);
  // under 'clamp' a call is admitted while anything is left, whatever its estimate
  if (policy === 'clamp') tokens = costNanos = 0;
  let tight: { target: BudgetTarget; state: CounterState; remaining: number } | undefined;
  let tightCost: { target: BudgetTarget; state: CounterState; remaining: number } | undefined;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    const state = states[i];
    if (enforcesTokens(target, state)) {
      const remaining = remainingOf(target, state);
      if (tokens > 0 ? tokens > remaining : remaining <= 0) return refusal(target, state, 'token', wouldCostUsd);
      if (!tight || remaining < tight.remaining) tight = { target, state, remaining };
    }
    if (enforcesCost(target, state)) {
      const remaining = costRemainingOf(target, state);
      if (costNanos > 0 ? costNanos > remaining : remaining <= 0) return refusal(target, state, 'cost', wouldCostUsd);
      if (!tightCost || remaining < tightCost.remaining) tightCost = { target, state, remaining };
    }
  }
  return {
    allowed: true,
    ...tokenFigures(tight?.target, tight?.state),
    resetAt: tight ? resetOf(tight.target) : tightCost ? resetOf(tightCost.target) : null,
    wouldCostUsd,
    ...costFigures(tightCost?.target, tightCost?.state),
  };
}

function refusal(target: BudgetTarget, state: CounterState, dimension: 'token' | 'cost', wouldCostUsd: number): BudgetCheckResult {
  return {
    allowed: false,
    reason: `${target.rule.scope}_${dimension}_limit_exceeded`,
    scope: target.rule.scope,
    ...tokenFigures(limitOf(target, state) > 0 ? target : undefined, state),
    resetAt: resetOf(target),
    wouldCostUsd,
    ...costFigures(costLimitOf(target, state) > 0 ? target : undefined, state),
  };
}

function tokenFigures(
  target: BudgetTarget | undefined,
  state: CounterState | undefined,
): Pick<BudgetCheckResult, 'used' | 'limit' | 'remaining'> {
  if (!target || !state) return { used: state?.used ?? 0, limit: 0, remaining: Infinity };
  return { used: state.used, limit: effectiveLimitOf(target, state), remaining: remainingOf(target, state) };
}

function costFigures(
  target: BudgetTarget | undefined,
  state: CounterState | undefined,
): Pick<BudgetCheckResult, 'costUsedUsd' | 'costLimitUsd' | 'costRemainingUsd'> {
  if (!target || !state) return { costUsedUsd: nanosToUsd(state?.costUsed ?? 0), costLimitUsd: 0, costRemainingUsd: Infinity };
  return {
    costUsedUsd: nanosToUsd(state.costUsed),
    costLimitUsd: nanosToUsd(effectiveCostLimitOf(target, state)),
    costRemainingUsd: nanosToUsd(costRemainingOf(target, state)),
  };
}
