import type { BudgetTarget } from '../budget.types';
import { BudgetExceededException } from '../budget-exceeded.exception';
import type { BudgetTargets } from '../counters/budget-targets';
import { readerOf } from '../estimation/estimate-request-body';
import { isBodyEstimate } from '../estimation/is-body-estimate';
import { reserveBodyEstimate } from '../estimation/body-hold';
import type { EstimateInput } from '../estimation/usage-estimate';
import { isPromise, MaybePromise, then } from '../maybe-promise';
import type { RequestWithTokenBudget, TokenBudgetRequestState } from '../request-state';
import type { Reservation } from '../reservation';
import type { ReservationEngine } from '../reservations/reservation-engine';
import type { BudgetRuleRegistry } from '../rules/rule-registry';
import type { ReservationSettlement } from '../settlement/reservation-settlement';
import type { ResolvedRule } from '../rules';
import type { OutputLowering } from '../estimation/fair-output';
import type { BudgetSubjectIds } from '../subject';
import { servedEstimate } from '../tiers/degraded-estimate';
import type { ResolvedTier } from '../tiers/resolved-tier';
import { REQUEST_STATE_KEY } from '../token-budget.constants';
import type { BudgetRequest } from '../budget-request';
import { InvalidUsageError } from '../usage/invalid-usage.error';
import { BudgetStorageError } from './budget-storage.error';
import { checkEstimate } from './checked-estimate';

/** What admission reports of an admitted request beside its reservation (the request's `req.tokenBudget` has these fields). */
export type AdmissionFigures = Pick<TokenBudgetRequestState, 'estimate' | 'usageEstimate' | 'maxCallDurationMs'>;

/** What admission reads of a route (the guard's resolved `RouteBudget` has all of it). */
export interface AdmissionRoute {
  /** The route's feature: selects feature rules and is the id of `feature`-scoped budgets. */
  readonly feature: string;
  /** The rules a request of the route is admitted on (module rules for its feature, then its own). */
  readonly rules: readonly ResolvedRule[];
  /** The route's own `estimate`, if it has one (a body is then not rewritten). */
  readonly estimate: unknown;
  /** How a body-estimated request is lowered (fair holds, `capMaxTokens`); `undefined` holds it as estimated. */
  readonly lowering: OutputLowering | undefined;
  /** Whether the body's output limit is set to the output held. */
  readonly enforceOutputLimit: boolean;
  /** The route's longest call (ms), when it sets one. */
  readonly maxCallDurationMs?: number;
}

/**
 * Admits one HTTP request on its budgets in one call: the route's rules with the user's tier
 * limits laid over them, each rule's id (its own `id(req)`, else the user id for `user`, `'all'`
 * for `global`, the route's feature for `feature`), the estimate (priced at the tier's cheaper
 * model for a degraded request), then one atomic hold on every counter. An estimate read from the
 * request's own body is held the way the route says (fair holds, `capMaxTokens`) and the body's
 * output limit set to the output held. The hold's lease is kept renewed while the call runs.
 *
 * Refusals are typed, and nothing is held after any of them: {@link BudgetExceededException} (a
 * budget cannot take it), `InvalidSubjectError` (an id past `maxIdLength`), `InvalidUsageError`
 * (a bad estimate), {@link BudgetStorageError} (storage failed), `RangeError` (bad settings).
 * Synchronous when the storage, the tier resolver and the estimate are (MemoryAdapter).
 */
export class RequestAdmission {
  constructor(
    private readonly registry: BudgetRuleRegistry,
    private readonly targets: BudgetTargets,
    private readonly engine: ReservationEngine,
    private readonly settlement: ReservationSettlement,
    private readonly now: () => number,
    /** The multiple of a counted prompt past which reported input is clamped; `undefined` with `plausibleUsage: false`. */
    private readonly inputFactor: number | undefined,
  ) {}

  /**
   * Holds `estimate` for `userId`'s request on the route's budgets and fills `figures` with what
   * it holds; returns the reservation, or throws (or rejects with) a refusal.
   */
  admit(
    route: AdmissionRoute,
    req: BudgetRequest,
    userId: unknown,
    estimate: MaybePromise<EstimateInput>,
    figures: AdmissionFigures,
  ): MaybePromise<Reservation> {
    const tier = this.registry.budgetTier(userId, req);
    if (isPromise(estimate) || isPromise(tier)) {
      return Promise.all([estimate, tier]).then(([e, t]) => this.hold(route, req, userId, e, t, figures));
    }
    return this.hold(route, req, userId, estimate, tier, figures);
  }

  private hold(
    route: AdmissionRoute,
    req: BudgetRequest,
    userId: unknown,
    estimate: EstimateInput,
    tier: ResolvedTier | undefined,
    figures: AdmissionFigures,
  ): MaybePromise<Reservation> {
    estimate = servedEstimate(estimate, (req as RequestWithTokenBudget | undefined)?.[REQUEST_STATE_KEY]?.degraded);
    figures.estimate = 0;
    figures.usageEstimate = typeof estimate === 'object' ? estimate : undefined;
    figures.maxCallDurationMs = route.maxCallDurationMs ?? this.settlement.callDurationLimitMs;
    const now = this.now();
    const ids: BudgetSubjectIds = { user: userId as string | number | undefined, feature: route.feature };
    const targets = this.targets.of(this.registry.forTier(route.rules, tier), ids, req, now);
    let pending: MaybePromise<Reservation>;
    try {
      pending = this.reserve(req, route, targets, estimate, figures, now);
    } catch (error) {
      throw refusal(error);
    }
    if (!isPromise(pending)) return this.kept(pending, figures);
    return pending.then(
      (reservation) => this.kept(reservation, figures),
      (error: unknown) => {
        throw refusal(error);
      },
    );
  }

  /** The call runs from here on: its lease is renewed until it is settled (or its deadline). */
  private kept(reservation: Reservation, figures: AdmissionFigures): Reservation {
    this.settlement.keepReservation(reservation, figures.maxCallDurationMs);
    return reservation;
  }

  /**
   * Holds the estimate. Only an estimate read from this request's own body is held so that the
   * body agrees with it (its body is the one rewritten): lowered by fair holds or `capMaxTokens`
   * when it asks for more than it should hold, and its output limit set to the output held.
   */
  private reserve(
    req: BudgetRequest,
    route: AdmissionRoute,
    targets: BudgetTarget[],
    estimate: EstimateInput,
    figures: AdmissionFigures,
    now: number,
  ): MaybePromise<Reservation> {
    figures.estimate = checkEstimate(estimate).tokens;
    const reader = route.estimate === undefined && isBodyEstimate(estimate) ? readerOf(req.body) : undefined;
    if (!reader || !isBodyEstimate(estimate)) return this.engine.reserve(targets, estimate, now);
    const held = reserveBodyEstimate(
      req.body as Record<string, unknown>,
      reader,
      estimate,
      route,
      this.inputFactor,
      this.engine.holdsOn(targets, now),
    );
    return then(held, ({ reservation, usage }) => {
      figures.estimate = reservation.estimate;
      figures.usageEstimate = usage;
      return reservation;
    });
  }
}

/** A failure of the hold itself: a refusal or bad input as is, anything else the storage's. */
function refusal(error: unknown): unknown {
  if (error instanceof BudgetExceededException || error instanceof InvalidUsageError || error instanceof RangeError) return error;
  return new BudgetStorageError(error);
}
