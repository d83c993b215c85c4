import { admissionSummary, exceededInfo } from '../admission/budget-figures';
import type { BudgetHolds } from '../admission/budget-holds';
import { CheckedEstimate, checkEstimate } from '../admission/checked-estimate';
import { tokensLeft } from '../admission/room';
import { BudgetExceededException } from '../budget-exceeded.exception';
import type { BudgetTarget } from '../budget.types';
import type { EstimateInput, UsageEstimate } from '../estimation/usage-estimate';
import type { BudgetNotifier } from '../events/budget-notifier';
import { MaybePromise, then } from '../maybe-promise';
import type { CostCalculator } from '../pricing/cost-calculator';
import { Reservation, ReservationSettler } from '../reservation';
import { nextReservationId } from '../reservation-id';
import type { BudgetCounter, ReservationPolicy, ReserveResult, StorageAdapter } from '../storage/storage-adapter.interface';

/** How one hold is made: its lease, policy, and whether its admission events fire now. */
export interface HoldOptions {
  /** @default the module's `leaseMs` */
  leaseMs?: number;
  /** @default the module's `reservationPolicy` */
  policy?: ReservationPolicy;
  /** `false`: the admission events wait for {@link ReservationEngine.announce} (a hold that may be made again). */
  announce?: boolean;
  /** A token refusal reports this many tokens requested instead of the estimate (the least a lowered request needs). */
  refusedAs?: number;
}

const DEFAULT_HOLD: HoldOptions = Object.freeze({});

/**
 * Makes holds: prices an estimate, reserves it atomically on every counter of its budgets
 * (all or none) and turns the storage's answer into a {@link Reservation}, or a
 * {@link BudgetExceededException} naming the budget that refused. Synchronous when the storage is
 * (MemoryAdapter).
 */
export class ReservationEngine {
  /** Admission events of reservations made with `announce: false`, until they are kept. */
  private readonly unannounced = new WeakMap<Reservation, () => void>();

  constructor(
    private readonly storage: StorageAdapter,
    private readonly costs: CostCalculator,
    private readonly notifier: BudgetNotifier,
    private readonly settler: ReservationSettler,
    /** The module's lease (ms) and reservation policy, for holds that name none. */
    private readonly leaseMs: number,
    private readonly policy: ReservationPolicy,
  ) {}

  /** Holds `estimate` on every counter of `targets`. */
  reserve(
    targets: readonly BudgetTarget[],
    estimate: EstimateInput,
    now: number,
    options: HoldOptions = DEFAULT_HOLD,
  ): MaybePromise<Reservation> {
    const checked = checkEstimate(estimate);
    const leaseMs = options.leaseMs ?? this.leaseMs;
    const policy = options.policy ?? this.policy;
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 1)
      throw new RangeError(`leaseMs must be a positive integer (ms), got ${String(leaseMs)}`);
    if (!Number.isFinite(now)) throw new RangeError(`the clock returned ${String(now)}, not a time in ms`);
    if (policy !== 'strict' && policy !== 'clamp')
      throw new RangeError(`reservationPolicy must be 'strict' or 'clamp', got ${String(policy)}`);
    const cost = this.costs.estimateCost(pricedEstimate(estimate, checked), now);
    const id = nextReservationId();
    const counters = targets.map((t) => t.counter);
    return then(this.storage.reserve({ id, counters, amount: checked.tokens, cost, policy, leaseUntil: now + leaseMs, now }), (result) =>
      this.toReservation(result, targets, counters, id, checked, cost, now, options, leaseMs),
    );
  }

  /**
   * Emits the admission events of a reservation made with `announce: false`, once it is kept (a
   * hold that is released and made again must not warn twice, nor warn for a call refused).
   */
  announce(reservation: Reservation): void {
    const pending = this.unannounced.get(reservation);
    this.unannounced.delete(reservation);
    pending?.();
  }

  /** Tokens the tightest limited budget of `targets` has left now (`Infinity` when none is limited); a read that holds nothing. */
  tokensLeft(targets: readonly BudgetTarget[], now: number): MaybePromise<number> {
    if (targets.every((target) => target.rule.soft)) return Infinity;
    return then(
      this.storage.read(
        targets.map((target) => target.counter),
        now,
      ),
      (states) => tokensLeft(targets, states),
    );
  }

  /** An estimate's price in nano-dollars, as a reservation of it would hold (0 when it cannot be priced). */
  price(estimate: EstimateInput, now: number): number {
    return this.costs.estimateCost(pricedEstimate(estimate, checkEstimate(estimate)), now);
  }

  /**
   * The same hold with what it holds as its estimate (a clamped hold): settled without usage, it
   * commits `estimate` tokens at `estimateCostNanos`.
   */
  asHeld(clamped: Reservation, estimate: number, estimateCostNanos: number): Reservation {
    return new Reservation(clamped.id, estimate, clamped.counters, clamped.summary, this.settler, { ...clamped.hold, estimateCostNanos });
  }

  /** {@link BudgetHolds} on `targets` at `now`, for the capped and fair hold rules. */
  holdsOn(targets: readonly BudgetTarget[], now: number): BudgetHolds {
    return new TargetHolds(this, targets, now, this.policy);
  }

  private toReservation(
    result: ReserveResult,
    targets: readonly BudgetTarget[],
    counters: BudgetCounter[],
    id: string,
    estimate: CheckedEstimate,
    cost: number,
    now: number,
    options: HoldOptions,
    leaseMs: number,
  ): Reservation {
    if (!result.admitted) {
      const info = exceededInfo(targets[result.index], result.state, { tokens: estimate.tokens, costNanos: cost }, now, result.dimension);
      this.notifier.rejected(targets[result.index], result.state, info, result.dimension, estimate.tokens);
      const refusedAs = options.refusedAs !== undefined && info.reason.endsWith('_token_limit_exceeded') ? options.refusedAs : undefined;
      throw new BudgetExceededException(refusedAs === undefined ? info : { ...info, requested: refusedAs });
    }
    const hold = {
      tokens: result.held,
      costNanos: result.heldCost,
      estimateCostNanos: cost,
      model: estimate.model,
      feesNanos: estimate.feesNanos,
      leaseMs,
    };
    const reservation = new Reservation(
      id,
      estimate.tokens,
      counters,
      admissionSummary(targets as BudgetTarget[], result.states),
      this.settler,
      hold,
    );
    const admitted = () => this.notifier.admitted(targets, result.states, result.held, result.heldCost);
    if (options.announce !== false) admitted();
    else this.unannounced.set(reservation, admitted);
    return reservation;
  }
}

/** The estimate as the calculator prices it: a bare count, or its split with the model. */
function pricedEstimate(estimate: EstimateInput, checked: CheckedEstimate): EstimateInput {
  return typeof estimate === 'number'
    ? estimate
    : { inputTokens: estimate.inputTokens, outputTokens: estimate.outputTokens, model: checked.model, feesUsd: estimate.feesUsd };
}

/** {@link BudgetHolds} on a call's budgets at one instant; one per body-estimated request. */
class TargetHolds implements BudgetHolds {
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
