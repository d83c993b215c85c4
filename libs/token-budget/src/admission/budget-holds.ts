import type { BudgetTarget } from '../budget.types';
import type { UsageEstimate } from '../estimation/usage-estimate';
import type { MaybePromise } from '../maybe-promise';
import type { Reservation } from '../reservation';
import type { ReservationEngine } from '../reservations/reservation-engine';
import type { ReservationPolicy } from '../storage/storage-adapter.interface';

/** Holds on the budgets of one call, as the capped and fair hold rules use them. */
export interface BudgetHolds {
  /** The module's reservation policy: for requests that are not lowered, and for money under `'strict'`. */
  readonly policy: ReservationPolicy;
  /**
   * Reserves `estimate`; with `announce: false` its admission events wait for {@link announce}. A
   * token refusal reports `refusedAs` tokens requested when given.
   */
  reserve(estimate: UsageEstimate, policy: ReservationPolicy, announce: boolean, refusedAs?: number): MaybePromise<Reservation>;
  /** Emits the admission events of a hold made with `announce: false`, once it is kept. */
  announce(reservation: Reservation): void;
  /** The same hold with what it holds as its estimate, committed at `estimateCostNanos` when no usage is read. */
  asHeld(clamped: Reservation, estimate: number, estimateCostNanos: number): Reservation;
  /** Price of an estimate in nano-dollars (0 when it cannot be priced). */
  price(estimate: UsageEstimate): number;
  /** Tokens the tightest limited budget has left now (a read: nothing is held). */
  room(): MaybePromise<number>;
}

/** {@link BudgetHolds} on a call's budgets at one instant; one per body-estimated request. */
export class TargetHolds implements BudgetHolds {
  constructor(
    private readonly engine: ReservationEngine,
    private readonly targets: readonly BudgetTarget[],
    private readonly now: number,
    readonly policy: ReservationPolicy,
  ) {}

  reserve(estimate: UsageEstimate, policy: ReservationPolicy, announce: boolean, refusedAs?: number): MaybePromise<Reservation> {
    return this.engine.reserve(this.targets, estimate, this.now, { policy, announce, refusedAs });
  }

  announce(reservation: Reservation): void {
    this.engine.announce(reservation);
  }

  asHeld(clamped: Reservation, estimate: number, estimateCostNanos: number): Reservation {
    return this.engine.asHeld(clamped, estimate, estimateCostNanos);
  }

  price(estimate: UsageEstimate): number {
    return this.engine.price(estimate, this.now);
  }

  room(): MaybePromise<number> {
    return this.engine.tokensLeft(this.targets, this.now);
  }
}
