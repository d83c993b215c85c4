import type { BudgetExceededInfo } from '../budget-exceeded.exception';
import type { BudgetTarget } from '../budget.types';
import { effectiveCostLimitOf, effectiveLimitOf } from '../admission/effective-limit';
import { nanosToUsd } from '../pricing/money';
import type { BudgetDimension, CommitResult, CounterState } from '../storage/storage-adapter.interface';
import type { Usage } from '../usage/usage.interface';
import type { BudgetEventBudget } from './budget-events';
import { BudgetEventBus } from './budget-event-bus';

/** Turns what BudgetService does into events on the bus; builds nothing while nobody listens. */
export class BudgetNotifier {
  constructor(readonly bus: BudgetEventBus) {}

  /** A refused call (429). */
  rejected(target: BudgetTarget, state: CounterState, info: BudgetExceededInfo, dimension: BudgetDimension, requestedTokens: number): void {
    if (!this.bus.observed) return;
    this.bus.emit({
      type: 'exceeded',
      action: 'rejected',
      reason: info.reason,
      requested: requestedTokens,
      dimension,
      ...figures(target, state),
    });
  }

  /**
   * After an admission: every `onExceeded: 'warn'` budget that the call does not fit (its hold,
   * already in `reserved`, takes it past the effective limit; with no hold, the limit is reached).
   */
  admitted(targets: readonly BudgetTarget[], states: readonly CounterState[], held: number, heldCost: number): void {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (!target.rule.soft || !this.bus.observed) continue;
      const state = states[i];
      const tokens = over(state.used + state.reserved, effectiveLimitOf(target, state), held);
      const cost = over(state.costUsed + state.costReserved, effectiveCostLimitOf(target, state), heldCost);
      if (!tokens && !cost) continue;
      const dimension: BudgetDimension = tokens ? 'tokens' : 'cost';
      this.bus.emit({
        type: 'exceeded',
        action: 'warned',
        reason: `${target.rule.scope}_${tokens ? 'token' : 'cost'}_limit_exceeded`,
        requested: held,
        dimension,
        ...figures(target, state),
      });
    }
  }

  /**
   * After a commit: the thresholds it crossed, then one `committed` event per budget. `call` is
   * what the call was charged: its cost in nano-dollars and the model it was priced at.
   */
  committed(
    reservationId: string,
    targets: readonly (BudgetTarget | undefined)[],
    result: CommitResult,
    usage: Usage,
    call: { cost: number; model: string | undefined },
  ): void {
    if (!this.bus.observed) return;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (!target) continue;
      const state = result.states[i];
      for (const crossed of result.crossed[i] ?? []) {
        this.bus.emit({ type: 'threshold', threshold: crossed.fraction, dimension: crossed.dimension, ...figures(target, state) });
      }
      this.bus.emit({
        type: 'committed',
        reservationId,
        tokens: usage.totalTokens,
        callCostUsd: nanosToUsd(call.cost),
        ...(call.model !== undefined ? { model: call.model } : {}),
        usage,
        ...figures(target, state),
      });
    }
  }
}

/** With a hold (`held > 0`, already in `total`): past the limit; without: at it. */
function over(total: number, limit: number, held: number): boolean {
  if (limit <= 0) return false;
  return held > 0 ? total > limit : total >= limit;
}

function figures(target: BudgetTarget, state: CounterState): BudgetEventBudget {
  return {
    rule: target.rule.name,
    scope: target.rule.scope,
    id: target.id,
    ...(target.rule.feature !== undefined ? { feature: target.rule.feature } : {}),
    period: target.periodKey,
    used: state.used,
    reserved: state.reserved,
    limit: effectiveLimitOf(target, state),
    costUsd: nanosToUsd(state.costUsed),
    costReservedUsd: nanosToUsd(state.costReserved),
    costLimitUsd: nanosToUsd(effectiveCostLimitOf(target, state)),
    resetAt: Number.isFinite(target.resetAt) ? new Date(target.resetAt) : null,
  };
}
