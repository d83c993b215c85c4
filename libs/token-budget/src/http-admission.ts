import { BadRequestException, ExecutionContext, Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { BudgetStorageError } from './admission/budget-storage.error';
import { assertIdentified, RequestUserId } from './admission/request-identity';
import { onStorageFailure } from './admission/storage-failure';
import { BudgetExceededException, BudgetExceededInfo } from './budget-exceeded.exception';
import type { BudgetService } from './budget.service';
import { InvalidSubjectError } from './invalid-subject.error';
import type { EstimateInput } from './estimation/usage-estimate';
import { isPromise, MaybePromise } from './maybe-promise';
import { isAdmitted, RequestWithTokenBudget, TokenBudgetRequestState } from './request-state';
import type { Reservation } from './reservation';
import type { RouteBudget } from './route-budget';
import { REQUEST_STATE_KEY } from './token-budget.constants';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { BudgetRequest, BudgetResponse } from './budget-request';
import { InvalidUsageError } from './usage/invalid-usage.error';

/**
 * The seam between TokenBudgetGuard and admission: the guard's overridable hooks (and its
 * per-route metadata), as the admission of a request reaches them. TokenBudgetGuard builds one
 * for itself (`admissionHooks`), calling its protected methods, so a subclass's overrides apply
 * wherever the request is admitted: in the guard, or in TokenBudgetInterceptor on a
 * `@TokenBudget()` route (the guard that deferred leaves itself on the request).
 */
export interface AdmissionHooks {
  shouldSkip(context: ExecutionContext): boolean | Promise<boolean>;
  requestResponse(context: ExecutionContext): { req: BudgetRequest; res: BudgetResponse };
  /** The route's `@TokenBudget()` options, resolved once per handler. */
  route(context: ExecutionContext): RouteBudget;
  userId(req: BudgetRequest, context: ExecutionContext): RequestUserId | Promise<RequestUserId>;
  estimate(req: BudgetRequest, route: RouteBudget): EstimateInput | Promise<EstimateInput>;
  /** Answers 429 (headers, `onBudgetExceeded`); always throws. */
  reject(req: BudgetRequest, res: BudgetResponse, info: BudgetExceededInfo): never;
}

/** Settles a reservation no interceptor takes charge of (the guard's: when the response ends). */
export type UnsettledReservation = (res: BudgetResponse, state: TokenBudgetRequestState, reservation: Reservation) => void;

/**
 * The HTTP side of admitting one request, used by TokenBudgetGuard and by TokenBudgetInterceptor:
 * identity and estimate through the guard's {@link AdmissionHooks}, one `BudgetService.admit()`
 * call (the service layer does the rest), then the answer: `req.tokenBudget`, the
 * `X-TokenBudget-*` headers, and refusals mapped to 429 (the `reject` hook), 400 (bad id or
 * estimate), 401 (no user), 503 (storage down; admitted without a hold under `failMode: 'open'`).
 */
export class HttpAdmission {
  constructor(
    private readonly budgets: BudgetService,
    private readonly adapterHost: HttpAdapterHost,
    private readonly options: TokenBudgetModuleOptions,
    private readonly logger: Logger,
  ) {}

  /** Admits the request unless it was admitted already; `unsettled` takes the reservations no interceptor settles. */
  admit(context: ExecutionContext, hooks: AdmissionHooks, unsettled?: UnsettledReservation): MaybePromise<boolean> {
    const { req, res } = hooks.requestResponse(context);
    if (isAdmitted((req as RequestWithTokenBudget)[REQUEST_STATE_KEY])) return true;
    const route = hooks.route(context);
    const userId = hooks.userId(req, context);
    if (isPromise(userId)) return userId.then((id) => this.withUser(req, res, route, id, hooks, unsettled));
    return this.withUser(req, res, route, userId, hooks, unsettled);
  }

  private withUser(
    req: BudgetRequest,
    res: BudgetResponse,
    route: RouteBudget,
    userId: RequestUserId,
    hooks: AdmissionHooks,
    unsettled: UnsettledReservation | undefined,
  ): MaybePromise<boolean> {
    assertIdentified(this.options, userId, 'Token budget: the caller could not be identified (extractUserId found no user id)');
    const degraded = (req as RequestWithTokenBudget)[REQUEST_STATE_KEY]?.degraded;
    const state: TokenBudgetRequestState = {
      reservation: undefined,
      feature: route.feature,
      estimate: 0,
      usageEstimate: undefined,
      usage: route.usage,
      intercepted: false,
    };
    if (route.stopStreamWhenExhausted ?? this.options.stopStreamWhenExhausted) state.stopStreamWhenExhausted = true;
    if (degraded) state.degraded = degraded;
    const estimate = hooks.estimate(req, route);
    let pending: MaybePromise<Reservation>;
    try {
      pending = this.budgets.admit(route, req, userId, estimate, state);
    } catch (error) {
      return this.refused(req, res, state, error, hooks);
    }
    if (!isPromise(pending)) return this.admitted(req, res, state, pending, unsettled);
    return pending.then(
      (reservation) => this.admitted(req, res, state, reservation, unsettled),
      (error: unknown) => this.refused(req, res, state, error, hooks),
    );
  }

  private admitted(
    req: BudgetRequest,
    res: BudgetResponse,
    state: TokenBudgetRequestState,
    reservation: Reservation,
    unsettled: UnsettledReservation | undefined,
  ): boolean {
    state.reservation = reservation;
    (req as RequestWithTokenBudget)[REQUEST_STATE_KEY] = state;
    const summary = reservation.summary;
    if (summary) setBudgetHeaders(this.adapterHost, res, summary.limit, summary.remaining, summary.resetAt, this.budgets.now());
    unsettled?.(res, state, reservation);
    return true;
  }

  /** 429 when a budget refuses, 400 on a bad id or estimate; on storage failure 503, or admission without a hold when failMode is 'open'. */
  private refused(req: BudgetRequest, res: BudgetResponse, state: TokenBudgetRequestState, error: unknown, hooks: AdmissionHooks): boolean {
    if (error instanceof BudgetExceededException) return hooks.reject(req, res, error.info);
    // a bad id or estimate is the caller's (400); an id resolver that throws is the app's bug, never a storage outage
    if (error instanceof InvalidSubjectError || error instanceof InvalidUsageError) throw new BadRequestException(error.message);
    if (!(error instanceof BudgetStorageError)) throw error;
    onStorageFailure(this.options, this.logger, 'budgets', error.cause);
    (req as RequestWithTokenBudget)[REQUEST_STATE_KEY] = state;
    return true;
  }
}

/** `X-TokenBudget-Limit`, `-Remaining` and `-Reset` (seconds until the period resets). */
export function setBudgetHeaders(
  adapterHost: HttpAdapterHost,
  res: BudgetResponse,
  limit: number,
  remaining: number,
  resetAt: Date | null,
  now: number,
): void {
  const adapter = adapterHost.httpAdapter;
  adapter.setHeader(res, 'X-TokenBudget-Limit', String(limit));
  adapter.setHeader(res, 'X-TokenBudget-Remaining', String(remaining));
  if (resetAt) adapter.setHeader(res, 'X-TokenBudget-Reset', String(Math.max(0, Math.ceil((resetAt.getTime() - now) / 1000))));
}
