import type { BudgetPeriodFigures } from '../budget-period-figures';
import type { UsageAnomalyReason, UsageBounds } from '../usage/plausible-usage';
import type { Usage } from '../usage/usage.interface';

/** Figures of one budget (a rule for one subject in one period) at the moment of an event. */
export interface BudgetEventBudget extends BudgetPeriodFigures {
  /** Rule name, e.g. `user:month`. */
  rule: string;
  /** Effective token limit: `limit + carryover + granted` (0 = unlimited). */
  limit: number;
}

/** A call's usage was counted on a budget. One event per budget the call counted on. */
export interface BudgetCommittedEvent extends BudgetEventBudget {
  type: 'committed';
  /** Reservation id; the events of one call (one per budget) share it. */
  reservationId: string;
  /** Tokens this call counted. */
  tokens: number;
  /** Money this call counted, in USD (0 when its model has no price). `costUsd` is the budget's total. */
  callCostUsd: number;
  /** Model the call was priced at: the one its usage names, else the one its estimate named. */
  model?: string;
  usage: Usage;
}

/**
 * A budget's committed usage reached a `thresholds` fraction of its effective limit. Fires once
 * per subject, rule, threshold and period, whatever the number of instances.
 */
export interface BudgetThresholdEvent extends BudgetEventBudget {
  type: 'threshold';
  /** The fraction crossed, e.g. `0.8`. */
  threshold: number;
  /** What crossed it: committed tokens against the token limit, or spend against the money limit. */
  dimension: 'tokens' | 'cost';
}

/**
 * A call did not fit a budget: it was refused (`action: 'rejected'`, a 429 on HTTP) or, on a rule
 * with `onExceeded: 'warn'`, admitted anyway (`action: 'warned'`).
 */
export interface BudgetExceededEvent extends BudgetEventBudget {
  type: 'exceeded';
  action: 'rejected' | 'warned';
  /** `<scope>_token_limit_exceeded` or `<scope>_cost_limit_exceeded`. */
  reason: string;
  /** Tokens the call asked to hold. */
  requested: number;
  /** Which limit it does not fit. */
  dimension: 'tokens' | 'cost';
}

/**
 * A commit or release that storage did not take (unreachable, slow, a Cluster slot failing over):
 * `queued` when it is kept to be retried with the same reservation id, `landed` when a retry took,
 * `dropped` when it could not be kept (the queue is full, or shutdown came first): then its figures
 * are logged and the budget does not count them.
 */
export interface BudgetSettlementEvent {
  type: 'settlement';
  action: 'queued' | 'landed' | 'dropped';
  /** What was being settled. */
  kind: 'commit' | 'release';
  reservationId: string;
  /** Tokens the commit counts (0 for a release). */
  tokens: number;
  /** Money the commit counts, in USD (0 for a release). */
  costUsd: number;
  /** Settlements still waiting for storage after this one. */
  pending: number;
  /** The storage error that made it wait (on `queued` and `dropped`). */
  error?: string;
}

/**
 * A provider reported usage a call cannot have used (output past the output limit sent, input
 * past the bound on its counted prompt, or nothing at all for a call whose prompt was counted):
 * it was charged `charged`, not `reported`. One event per call, before its `committed` events.
 */
export interface BudgetUsageAnomalyEvent {
  type: 'usage_anomaly';
  /** Reservation id, as in the call's `committed` events. */
  reservationId: string;
  /** What was wrong: `output_over_limit`, `input_over_bound`, `total_over_bound`, `zero_usage`. */
  reasons: UsageAnomalyReason[];
  /** The usage as the provider (or the route's usage reader) reported it. */
  reported: Usage;
  /** The usage charged: clamped to the bounds, or the estimate for `zero_usage`. */
  charged: Usage;
  /** The bounds the report was checked against. */
  bounds: UsageBounds;
}

/** Everything `BudgetService.events$` emits. */
export type BudgetEvent =
  BudgetCommittedEvent | BudgetThresholdEvent | BudgetExceededEvent | BudgetSettlementEvent | BudgetUsageAnomalyEvent;

/** The `type` of a {@link BudgetEvent}. */
export type BudgetEventType = BudgetEvent['type'];

/** The event of one `type`. */
export type BudgetEventOf<T extends BudgetEventType> = Extract<BudgetEvent, { type: T }>;
