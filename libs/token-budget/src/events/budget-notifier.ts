import type { BudgetExceededInfo } from '../budget-exceeded.exception';
import type { BudgetTarget } from '../budget.types';
import { effectiveLimitOf, limitOf } from '../admin/effective-limit';
import type { CommitResult, CounterState } from '../storage/storage-adapter.interface';
import type { Usage } from '../usage/usage.interface';
import type { BudgetEventBudget } from './budget-events';
import { BudgetEventBus } from './budget-event-bus';

/** Turns what BudgetService does into events on the bus. */
export class BudgetNotifier {
  constructor(readonly bus: BudgetEventBus) {}

  /** A refused call (429). */
  rejected(target: BudgetTarget, state: CounterState, info: BudgetExceededInfo): void {
    if (!this.bus.observed) return;
    this.bus.emit({ type: 'exceeded', action: 'rejected', reason: info.reason, requested: info.requested, ...figures(target, state) });
  }

  /**
   * After an admission: every `onExceeded: 'warn'` budget that the call does not fit (its hold,
   * already in `reserved`, takes it past the effective limit; with no hold, the limit is reached).
   */
  admitted(targets: readonly BudgetTarget[], states: readonly CounterState[], estimate: number): void {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (!target.rule.soft || !this.bus.observed) continue;
      const state = states[i];
      const effective = effectiveLimitOf(target, state);
      if (effective <= 0) continue;
      const total = state.used + state.reserved;
      if (estimate > 0 ? total <= effective : total < effective) continue;
      this.bus.emit({
        type: 'exceeded',
        action: 'warned',
        reason: `${target.rule.scope}_token_limit_exceeded`,
        requested: estimate,
        ...figures(target, state),
      });
    }
  }

  /** After a commit: the thresholds it crossed, then one `committed` event per budget. */
  committed(reservationId: string, targets: readonly (BudgetTarget | undefined)[], result: CommitResult, usage: Usage): void {
    if (!this.bus.observed) return;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (!target) continue;
      const state = result.states[i];
      for (const threshold of result.crossed[i] ?? []) {
        this.bus.emit({ type: 'threshold', threshold, dimension: 'tokens', ...figures(target, state) });
      }
      this.bus.emit({ type: 'committed', reservationId, tokens: usage.totalTokens, usage, ...figures(target, state) });
    }
  }
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
    limit: limitOf(target, state) > 0 ? effectiveLimitOf(target, state) : 0,
    resetAt: Number.isFinite(target.resetAt) ? new Date(target.resetAt) : null,
  };
}
