import type { BudgetCounter } from './storage/storage-adapter.interface';
import type { MaybePromise } from './maybe-promise';
import { nanosToUsd } from './pricing/money';
import type { UsageBounds } from './usage/plausible-usage';
import type { Usage, UsageInput } from './usage/usage.interface';

/** What a reservation does when it is settled; implemented by BudgetService's settlement (`settlement/reservation-settlement.ts`). */
export interface ReservationSettler {
  commitReservation(reservation: Reservation, usage: UsageInput | undefined): MaybePromise<Usage>;
  releaseReservation(reservation: Reservation): MaybePromise<void>;
  /** Renews the hold while its work runs (`keepAlive`); optional. */
  keepReservation?(reservation: Reservation): void;
}

/** What a reservation holds on each counter and how its estimate was priced. */
export interface ReservationHold {
  /** Tokens held (the estimate, or less under `'clamp'`). */
  tokens: number;
  /** Money held, in nano-dollars. */
  costNanos: number;
  /** The estimate's price in nano-dollars (committed when no usage can be read). */
  estimateCostNanos: number;
  /** Model of the estimate. */
  model: string | undefined;
  /** The estimate's per-call fees in nano-dollars, charged on top of the usage's price at commit. */
  feesNanos?: number;
  /** Lease of the hold in ms (renewals move it this far ahead). */
  leaseMs?: number;
}

/** Where a reservation stands. */
export type ReservationState = 'held' | 'committing' | 'committed' | 'released';

/** Headline figures of the tightest counter at admission, for `X-TokenBudget-*` headers. */
export interface AdmissionSummary {
  /** Effective limit of the counter with the fewest tokens left. */
  limit: number;
  /** Tokens it has left after this reservation. */
  remaining: number;
  /** Start of its next period; `null` for lifetime budgets. */
  resetAt: Date | null;
}

/**
 * Tokens held on every applicable counter for one call. Settle it exactly once: `commit(usage)`
 * replaces the hold by the actual usage, `release()` drops it. Unsettled, it lapses after the lease.
 */
export class Reservation {
  private currentState: ReservationState = 'held';
  private usageBounds: UsageBounds | undefined;

  constructor(
    /** Unique id of the reservation. */
    readonly id: string,
    /** Tokens held on each counter (the estimate). */
    readonly estimate: number,
    /** @internal counters the hold sits on */
    readonly counters: BudgetCounter[],
    /** The tightest counter at admission; `undefined` when no counter has a limit. */
    readonly summary: AdmissionSummary | undefined,
    private readonly settler: ReservationSettler,
    /** @internal what is held and how the estimate was priced */
    readonly hold: ReservationHold = { tokens: estimate, costNanos: 0, estimateCostNanos: 0, model: undefined },
  ) {}

  /** Tokens actually held on each counter: the estimate, or less under the `'clamp'` policy. */
  get held(): number {
    return this.hold.tokens;
  }

  /** Money held on each counter, in integer nano-dollars (see `nanosToUsd`). */
  get heldCostNanos(): number {
    return this.hold.costNanos;
  }

  /** Money held on each counter, in USD. */
  get heldCostUsd(): number {
    return nanosToUsd(this.hold.costNanos);
  }

  /** What the estimate was priced at, in USD (0 when no model could price it). */
  get estimatedCostUsd(): number {
    return nanosToUsd(this.hold.estimateCostNanos);
  }

  /** Model the estimate named; prices committed usage that names none. */
  get model(): string | undefined {
    return this.hold.model;
  }

  /**
   * What the provider may plausibly report for this call (set at admission for a request estimated
   * from its body); a commit past it is clamped and reported as a `usage_anomaly` event.
   */
  get bounds(): UsageBounds | undefined {
    return this.usageBounds;
  }

  /** @internal */
  bound(bounds: UsageBounds): void {
    this.usageBounds = bounds;
  }

  get state(): ReservationState {
    return this.currentState;
  }

  /** True once committed, being committed or released. */
  get settled(): boolean {
    return this.currentState !== 'held';
  }

  /**
   * Counts the actual usage (a token total or usage fields; the estimate when omitted) in place of
   * the hold. Throws InvalidUsageError on bad input and leaves the reservation held.
   */
  async commit(usage?: UsageInput): Promise<Usage> {
    this.assertHeld('commit');
    return this.settler.commitReservation(this, usage);
  }

  /** Drops the hold without counting usage. Releasing a settled reservation does nothing. */
  async release(): Promise<void> {
    if (this.currentState !== 'held') return;
    this.currentState = 'released';
    await this.settler.releaseReservation(this);
  }

  /**
   * Renews the hold's lease every `leaseMs / 3` until it is settled (at most `maxCallDurationMs`),
   * for work that may outlive the lease (`track` and the HTTP routes do this themselves).
   *
   * @example
   * const reservation = await budgets.reserve('user-42', 4_000);
   * reservation.keepAlive();
   * try { await reservation.commit(await longJob()); } catch (error) { await reservation.release(); throw error; }
   */
  keepAlive(): void {
    if (this.currentState === 'held') this.settler.keepReservation?.(this);
  }

  /** @internal */
  markCommitting(): void {
    this.assertHeld('commit');
    this.currentState = 'committing';
  }

  /** @internal */
  markCommitted(): void {
    this.currentState = 'committed';
  }

  private assertHeld(action: string): void {
    if (this.currentState !== 'held') throw new Error(`Cannot ${action} reservation ${this.id}: it is already ${this.currentState}`);
  }
}
