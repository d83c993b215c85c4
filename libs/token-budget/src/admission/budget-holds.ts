import type { UsageEstimate } from '../estimation/usage-estimate';
import type { MaybePromise } from '../maybe-promise';
import type { Reservation } from '../reservation';
import type { ReservationPolicy } from '../storage/storage-adapter.interface';

/**
 * Holds on the budgets of one call at one instant, as the capped and fair hold rules use them
 * (`ReservationEngine.holdsOn` makes one per body-estimated request).
 */
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
