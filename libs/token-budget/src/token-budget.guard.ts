import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { BudgetExceededException, BudgetExceededInfo } from './budget-exceeded.exception';
import { BudgetService } from './budget.service';
import { InvalidSubjectError } from './invalid-subject.error';
import { reserveBodyEstimate } from './estimation/body-hold';
import { readerOf } from './estimation/estimate-request-body';
import { checkEstimate } from './admission/estimate-input';
import { isBodyEstimate } from './estimation/estimate-input';
import { RequestEstimator, routeEstimationOf } from './estimation/request-estimator';
import type { EstimateInput, UsageEstimate } from './estimation/usage-estimate';
import { isPromise, MaybePromise, then } from './maybe-promise';
import type { Reservation } from './reservation';
import type { BudgetTarget } from './budget.types';
import type { ReservationPolicy } from './storage/storage-adapter.interface';
import { isAdmitted, RequestWithTokenBudget, TokenBudgetRequestState } from './request-state';
import { servedEstimate } from './tiers/degraded-estimate';
import type { ResolvedTier } from './tiers/resolved-tier';
import { callDurationOf, RouteBudget, routeRuleOf } from './route-budget';
import { ResolvedRule } from './rules';
import { ADMITTER_KEY, REQUEST_STATE_KEY, TOKEN_BUDGET_OPTIONS, TOKEN_BUDGET_ROUTE, TOKEN_BUDGET_SKIP } from './token-budget.constants';
import type { TokenBudgetRouteOptions } from './token-budget-route-options';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { BudgetRequest, BudgetResponse } from './budget-request';
import { InvalidUsageError } from './usage/invalid-usage.error';

/**
 * Admits a request on every budget that applies to it, atomically, or answers 429. Apply it with
 * `@UseGuards(TokenBudgetGuard)` on a controller or route, or globally with `APP_GUARD`.
 *
 * Subclass it to change how the user is found (`getUserId`), what is held (`getEstimate`), which
 * requests are skipped (`shouldSkip`) or how other transports expose request and response
 * (`getRequestResponse`), as for GraphQL or WebSockets.
 */
@Injectable()
export class TokenBudgetGuard implements CanActivate {
  protected readonly logger = new Logger(TokenBudgetGuard.name);
  private readonly routes = new WeakMap<object, RouteBudget>();
  private readonly estimator: RequestEstimator;

  constructor(
    protected readonly budgets: BudgetService,
    protected readonly reflector: Reflector,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(TOKEN_BUDGET_OPTIONS) protected readonly options: TokenBudgetModuleOptions,
  ) {
    this.estimator = new RequestEstimator(options, () => budgets.hasLimits());
  }

  /**
   * Admits the request, or, on a route with `@TokenBudget()`, leaves admission to
   * TokenBudgetInterceptor (which calls back into this guard's hooks): the interceptor runs after
   * every guard, so a request another guard refuses never holds tokens and nothing can come
   * between the hold and the code that settles it. Synchronous unless a hook or the storage
   * answers with a Promise (MemoryAdapter does not).
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const skip = this.shouldSkip(context);
    if (skip === true) return true;
    if (skip === false) return this.admitOrDefer(context);
    return skip.then((skipped) => skipped || this.admitOrDefer(context));
  }

  /** @internal Admission on behalf of TokenBudgetInterceptor; settles nothing on response end. */
  admitForInterceptor(context: ExecutionContext): MaybePromise<boolean> {
    return then(this.shouldSkip(context), (skipped) => skipped || this.admit(context, false));
  }

  private admitOrDefer(context: ExecutionContext): MaybePromise<boolean> {
    if (!this.routeBudget(context).decorated) return this.admit(context, true);
    // The interceptor admits through the module's TokenBudgetGuard unless told of a subclass.
    if (this.constructor !== TokenBudgetGuard) {
      const { req } = this.getRequestResponse(context);
      if (req) (req as Record<symbol, unknown>)[ADMITTER_KEY] = this;
    }
    return true;
  }

  private admit(context: ExecutionContext, settleOnResponseEnd: boolean): MaybePromise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    if (isAdmitted((req as RequestWithTokenBudget)[REQUEST_STATE_KEY])) return true;
    const route = this.routeBudget(context);
    const userId = this.getUserId(req, context);
    if (isPromise(userId)) return userId.then((id) => this.withUser(req, res, route, id, settleOnResponseEnd));
    return this.withUser(req, res, route, userId, settleOnResponseEnd);
  }

  private withUser(req: BudgetRequest, res: BudgetResponse, route: RouteBudget, userId: unknown, settleOnResponseEnd: boolean): MaybePromise<boolean> {
    if ((userId === undefined || userId === null || userId === '') && this.options.anonymous !== 'allow') {
      throw new UnauthorizedException('Token budget: the caller could not be identified (extractUserId found no user id)');
    }
    const estimate = this.getEstimate(req, route);
    const tier = this.budgets.budgetTier(userId, req);
    if (isPromise(estimate) || isPromise(tier)) {
      return Promise.all([estimate, tier]).then(([e, t]) => this.hold(req, res, route, userId, e, settleOnResponseEnd, t));
    }
    return this.hold(req, res, route, userId, estimate, settleOnResponseEnd, tier);
  }

  private hold(
    req: BudgetRequest,
    res: BudgetResponse,
    route: RouteBudget,
    userId: unknown,
    estimate: EstimateInput,
    settleOnResponseEnd: boolean,
    tier: ResolvedTier | undefined,
  ): MaybePromise<boolean> {
    const degraded = (req as RequestWithTokenBudget)[REQUEST_STATE_KEY]?.degraded;
    estimate = servedEstimate(estimate, degraded);
    const state: TokenBudgetRequestState = {
      reservation: undefined,
      feature: route.feature,
      estimate: 0,
      usageEstimate: typeof estimate === 'object' ? estimate : undefined,
      usage: route.usage,
      intercepted: false,
    };
    const stop = route.stopStreamWhenExhausted ?? this.options.stopStreamWhenExhausted;
    if (stop) state.stopStreamWhenExhausted = true;
    if (degraded) state.degraded = degraded;
    state.maxCallDurationMs = route.maxCallDurationMs ?? this.budgets.callDurationLimitMs;
    const now = this.now();
    let targets: BudgetTarget[];
    try {
      targets = this.budgets.targetsOf(this.budgets.rulesForTier(route.rules, tier), route.feature, (rule) => this.idFor(rule, req, userId), now);
    } catch (error) {
      // a bad id is the caller's (400); an id resolver that throws is the app's bug, never a storage outage
      if (error instanceof InvalidSubjectError) throw new BadRequestException(error.message);
      throw error;
    }
    let pending: MaybePromise<Reservation>;
    try {
      pending = this.reserve(req, route, targets, estimate, state, now);
    } catch (error) {
      return this.refused(req, res, state, error);
    }
    if (isPromise(pending)) {
      return pending.then(
        (reservation) => this.admitted(req, res, state, reservation, now, settleOnResponseEnd),
        (error: unknown) => this.refused(req, res, state, error),
      );
    }
    return this.admitted(req, res, state, pending, now, settleOnResponseEnd);
  }

  private admitted(
    req: BudgetRequest,
    res: BudgetResponse,
    state: TokenBudgetRequestState,
    reservation: Reservation,
    now: number,
    settleOnResponseEnd: boolean,
  ): boolean {
    state.reservation = reservation;
    (req as RequestWithTokenBudget)[REQUEST_STATE_KEY] = state;
    // the call runs from here on: its lease is renewed until it is settled (or its deadline)
    this.budgets.keepReservation(reservation, state.maxCallDurationMs);
    this.setHeaders(res, reservation, now);
    if (settleOnResponseEnd) this.settleWhenResponseEnds(res, state, reservation);
    return true;
  }

  /**
   * Holds the estimate. An estimate read from this request's own body is held so that the body
   * agrees with it: lowered by fair holds or `capMaxTokens` when it asks for more than it should
   * hold, and with its output limit set to the output held (see `reserveBodyEstimate`).
   */
  private reserve(req: BudgetRequest, route: RouteBudget, targets: BudgetTarget[], estimate: EstimateInput, state: TokenBudgetRequestState, now: number): MaybePromise<Reservation> {
    state.estimate = checkEstimate(estimate).tokens;
    // only an estimate read from this request's own body is held this way: its body is the one rewritten
    const reader = route.estimate === undefined && isBodyEstimate(estimate) ? readerOf(req.body) : undefined;
    if (!reader || !isBodyEstimate(estimate)) return this.budgets.reserveTargets(targets, estimate, now);
    const policy = this.options.reservationPolicy ?? 'strict';
    const held = reserveBodyEstimate(req.body as Record<string, unknown>, reader, estimate, { ...route, inputFactor: this.budgets.inputFactor() }, {
      reserve: (hold: UsageEstimate, holdPolicy: ReservationPolicy, announce: boolean) => this.budgets.reserveTargets(targets, hold, now, undefined, holdPolicy, announce),
      settler: this.budgets,
      room: () => this.budgets.tokensLeft(targets, now),
      price: (hold) => this.budgets.priceEstimate(hold, now),
      costPolicy: policy,
      policy,
      announce: (reservation) => this.budgets.announceAdmission(reservation),
    });
    return then(held, ({ reservation, usage }) => {
      state.estimate = reservation.estimate;
      state.usageEstimate = usage;
      return reservation;
    });
  }

  /** 429 when a budget refuses, 400 on a bad id or estimate; on storage failure 503, or admission without a hold when failMode is 'open'. */
  private refused(req: BudgetRequest, res: BudgetResponse, state: TokenBudgetRequestState, error: unknown): boolean {
    if (error instanceof BudgetExceededException) return this.reject(req, res, error.info);
    if (error instanceof InvalidUsageError) throw new BadRequestException(error.message);
    if (error instanceof RangeError) throw error;
    if (this.options.failMode !== 'open') {
      this.logger.error(`Budget storage failed; request refused (failMode 'closed'): ${String(error)}`);
      throw new ServiceUnavailableException({
        statusCode: 503,
        error: 'budget_storage_unavailable',
        message: 'Token budgets cannot be checked right now; try again shortly.',
      });
    }
    this.logger.warn(`Budget storage failed; request admitted without a reservation (failMode 'open'): ${String(error)}`);
    (req as RequestWithTokenBudget)[REQUEST_STATE_KEY] = state;
    return true;
  }

  /** Skips routes marked `@SkipTokenBudget()`. May return a Promise. */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    return this.routeBudget(context).skip;
  }

  /** The user id of the request. Default: the module's `extractUserId`, else `req.user?.id`. May return a Promise. */
  protected getUserId(req: BudgetRequest, _context: ExecutionContext): string | number | undefined | null | Promise<string | number | undefined | null> {
    return this.options.extractUserId ? this.options.extractUserId(req) : req?.user?.id;
  }

  /**
   * What to hold: the route's `estimate`, else the estimate read from the request body (OpenAI,
   * Anthropic, Gemini requests), else the module's `defaultEstimate`, else 0. A token total or a
   * {@link UsageEstimate}; may return a Promise.
   */
  protected getEstimate(req: BudgetRequest, route: RouteBudget): EstimateInput | Promise<EstimateInput> {
    return this.estimator.estimate(req, route, route.feature);
  }

  /** Request and response of an HTTP context; override for other transports. */
  protected getRequestResponse(context: ExecutionContext): { req: BudgetRequest; res: BudgetResponse } {
    const http = context.switchToHttp();
    return { req: http.getRequest(), res: http.getResponse() };
  }

  /** Answers 429 (or what `onBudgetExceeded` makes of it). */
  protected reject(req: BudgetRequest, res: BudgetResponse, info: BudgetExceededInfo): never {
    const adapter = this.adapterHost.httpAdapter;
    if (info.retryAfterSeconds !== null) adapter.setHeader(res, 'Retry-After', String(info.retryAfterSeconds));
    if (info.unit === 'usd') {
      // a cost budget refused: its figures are dollars, kept off the token headers
      adapter.setHeader(res, 'X-TokenBudget-Cost-Limit', String(info.limit));
      adapter.setHeader(res, 'X-TokenBudget-Cost-Remaining', String(info.remaining));
    } else {
      this.writeHeaders(res, info.limit, info.remaining, info.resetAt, this.now());
    }
    const custom = this.options.onBudgetExceeded?.(req, res, info);
    throw new BudgetExceededException(info, custom);
  }

  private idFor(rule: ResolvedRule, req: BudgetRequest, userId: unknown): string | number | undefined | null {
    if (rule.id) return rule.id(req);
    if (rule.scope === 'user') return userId as string | number | undefined;
    if (rule.scope === 'global') return 'all';
    return undefined;
  }

  private routeBudget(context: ExecutionContext): RouteBudget {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, context.getClass()];
      const options = this.reflector.getAllAndOverride<TokenBudgetRouteOptions | undefined>(TOKEN_BUDGET_ROUTE, targets);
      route = this.resolveRoute(options ?? {}, `${context.getClass().name}.${handler.name}`);
      route.decorated = options !== undefined;
      route.skip = this.reflector.getAllAndOverride<boolean>(TOKEN_BUDGET_SKIP, targets) === true;
      this.routes.set(handler, route);
    }
    return route;
  }

  private resolveRoute(options: TokenBudgetRouteOptions, fallbackFeature: string): RouteBudget {
    const feature = options.feature ?? fallbackFeature;
    const rule = routeRuleOf(options, feature, fallbackFeature);
    if (rule) this.budgets.registerRouteRule(rule, fallbackFeature); // normally done at boot already
    return {
      feature,
      rules: this.budgets.rulesFor(feature, []),
      ...routeEstimationOf(options, this.options),
      usage: options.usage,
      stopStreamWhenExhausted: options.stopStreamWhenExhausted,
      maxCallDurationMs: callDurationOf(options, fallbackFeature),
      skip: false,
      decorated: false,
    };
  }

  private setHeaders(res: BudgetResponse, reservation: Reservation, now: number): void {
    const summary = reservation.summary;
    if (summary) this.writeHeaders(res, summary.limit, summary.remaining, summary.resetAt, now);
  }

  private writeHeaders(res: BudgetResponse, limit: number, remaining: number, resetAt: Date | null, now: number): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(res, 'X-TokenBudget-Limit', String(limit));
    adapter.setHeader(res, 'X-TokenBudget-Remaining', String(remaining));
    if (resetAt) adapter.setHeader(res, 'X-TokenBudget-Reset', String(Math.max(0, Math.ceil((resetAt.getTime() - now) / 1000))));
  }

  private now(): number {
    return this.budgets.now();
  }

  /**
   * Settles a reservation that no interceptor took charge of when the response ends: releases it
   * when the response is an error (a later guard or pipe refused, the handler failed), commits the
   * estimate otherwise (success, or a client that went away while the handler ran).
   */
  private settleWhenResponseEnds(res: BudgetResponse, state: TokenBudgetRequestState, reservation: Reservation): void {
    const raw = res?.raw ?? res;
    if (typeof raw?.once !== 'function') return;
    raw.on('close', () => {
      if (state.intercepted || reservation.settled) return;
      // Released only when the app answered with an error; a client that went away leaves the
      // handler (and the provider call) running, so its estimate is committed.
      const failed = raw.writableFinished !== false && raw.statusCode >= 400;
      const settle = failed ? reservation.release() : reservation.commit();
      settle.catch((error: unknown) => this.logger.error(`Settling reservation ${reservation.id} failed: ${String(error)}`));
    });
  }
}
