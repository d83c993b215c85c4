import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { defaultUserId, RequestUserId } from './admission/request-identity';
import { BudgetExceededException, BudgetExceededInfo } from './budget-exceeded.exception';
import { BudgetService } from './budget.service';
import { RequestEstimator, routeEstimationOf } from './estimation/request-estimator';
import type { EstimateInput } from './estimation/usage-estimate';
import { AdmissionHooks, HttpAdmission, setBudgetHeaders } from './http-admission';
import type { MaybePromise } from './maybe-promise';
import type { TokenBudgetRequestState } from './request-state';
import type { Reservation } from './reservation';
import { callDurationOf, RouteBudget, routeRuleOf } from './route-budget';
import { ADMITTER_KEY, TOKEN_BUDGET_OPTIONS, TOKEN_BUDGET_ROUTE, TOKEN_BUDGET_SKIP } from './token-budget.constants';
import type { TokenBudgetRouteOptions } from './token-budget-route-options';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { BudgetRequest, BudgetResponse } from './budget-request';

/**
 * Admits a request on every budget that applies to it, atomically, or answers 429. Apply it with
 * `@UseGuards(TokenBudgetGuard)` on a controller or route, or globally with `APP_GUARD`.
 *
 * It is the HTTP side only: it skips `@SkipTokenBudget()` routes, finds the user and the estimate
 * through its hooks, and leaves the admission itself (rules, tier limits, ids, fair and capped
 * holds, the atomic reservation) to one service-layer call, `BudgetService.admit()`. It then sets
 * `req.tokenBudget` and the `X-TokenBudget-*` headers, maps refusals to 429 / 400 / 401 / 503 (or
 * admits without a hold under `failMode: 'open'`), and settles the hold when the response ends.
 *
 * Deferral: on a route with `@TokenBudget()` the guard admits nothing itself. TokenBudgetInterceptor
 * (which `@TokenBudget()` applies) admits the request instead, through this guard's hooks
 * (`admissionHooks`; a subclass leaves itself on the request for it), and settles it. The
 * interceptor runs after every guard, so a request another guard refuses never holds tokens, and
 * nothing can come between the hold and the code that settles it. An `@Sse()` route is the
 * exception: Nest sends its headers on a timer once the interceptors have returned, before a hold
 * waiting for storage (Redis) could be answered, so it is admitted here (a refusal is a 429, not an
 * error event after a 200) and a later guard's refusal releases it when the response ends. A route
 * without `@TokenBudget()` is admitted here and settled when its response ends (the estimate
 * committed on success, released on an error status).
 *
 * Subclass it to change how the user is found (`getUserId`), what is held (`getEstimate`), which
 * requests are skipped (`shouldSkip`), how a refusal is answered (`reject`) or where request and
 * response come from (`getRequestResponse`). It guards HTTP routes (Express and Fastify); for
 * WebSocket gateways and GraphQL resolvers, use `BudgetService.track()` (or `reserve()`) in the
 * handler, as the README shows.
 */
@Injectable()
export class TokenBudgetGuard implements CanActivate {
  protected readonly logger = new Logger(TokenBudgetGuard.name);
  /** @internal This guard's hooks as admission reaches them, here and in TokenBudgetInterceptor. */
  readonly admissionHooks: AdmissionHooks;
  private readonly routes = new WeakMap<object, RouteBudget>();
  private readonly estimator: RequestEstimator;
  private readonly http: HttpAdmission;
  private readonly settleOnClose = (res: BudgetResponse, state: TokenBudgetRequestState, reservation: Reservation) =>
    this.settleWhenResponseEnds(res, state, reservation);

  constructor(
    protected readonly budgets: BudgetService,
    protected readonly reflector: Reflector,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(TOKEN_BUDGET_OPTIONS) protected readonly options: TokenBudgetModuleOptions,
  ) {
    this.estimator = new RequestEstimator(options, () => budgets.registry.hasLimits());
    this.http = new HttpAdmission(budgets, adapterHost, options, this.logger);
    this.admissionHooks = {
      shouldSkip: (context) => this.shouldSkip(context),
      requestResponse: (context) => this.getRequestResponse(context),
      route: (context) => this.routeBudget(context),
      userId: (req, context) => this.getUserId(req, context),
      estimate: (req, route) => this.getEstimate(req, route),
      reject: (req, res, info) => this.reject(req, res, info),
    };
  }

  /**
   * Admits the request, or, on a route with `@TokenBudget()`, leaves admission to
   * TokenBudgetInterceptor (see the class description). Synchronous unless a hook or the storage
   * answers with a Promise (MemoryAdapter does not).
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const skip = this.shouldSkip(context);
    if (skip === true) return this.skipped(context);
    if (skip === false) return this.admitOrDefer(context);
    return skip.then((skipped) => (skipped ? this.skipped(context) : this.admitOrDefer(context)));
  }

  private admitOrDefer(context: ExecutionContext): MaybePromise<boolean> {
    if (!this.routeBudget(context).deferred) return this.http.admit(context, this.admissionHooks, this.settleOnClose);
    this.leaveHooks(context);
    return true;
  }

  /** A skipped request: the interceptor of a `@TokenBudget()` route must see this guard's skip too. */
  private skipped(context: ExecutionContext): true {
    this.leaveHooks(context);
    return true;
  }

  /** The interceptor admits through the module's TokenBudgetGuard unless told of a subclass. */
  private leaveHooks(context: ExecutionContext): void {
    if (this.constructor === TokenBudgetGuard) return;
    const { req } = this.getRequestResponse(context);
    if (req) (req as Record<symbol, unknown>)[ADMITTER_KEY] = this;
  }

  /** Skips routes marked `@SkipTokenBudget()`. May return a Promise. */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    return this.routeBudget(context).skip;
  }

  /** The user id of the request. Default: the module's `extractUserId`, else `req.user?.id`. May return a Promise. */
  protected getUserId(req: BudgetRequest, _context: ExecutionContext): RequestUserId | Promise<RequestUserId> {
    return defaultUserId(this.options, req);
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
      setBudgetHeaders(this.adapterHost, res, info.limit, info.remaining, info.resetAt, this.budgets.now());
    }
    const custom = this.options.onBudgetExceeded?.(req, res, info);
    throw new BudgetExceededException(info, custom);
  }

  private routeBudget(context: ExecutionContext): RouteBudget {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, context.getClass()];
      const options = this.reflector.getAllAndOverride<TokenBudgetRouteOptions | undefined>(TOKEN_BUDGET_ROUTE, targets);
      route = this.resolveRoute(options ?? {}, `${context.getClass().name}.${handler.name}`);
      route.decorated = options !== undefined;
      route.deferred = route.decorated && this.reflector.get(SSE_METADATA, handler) !== true;
      route.skip = this.reflector.getAllAndOverride<boolean>(TOKEN_BUDGET_SKIP, targets) === true;
      this.routes.set(handler, route);
    }
    return route;
  }

  private resolveRoute(options: TokenBudgetRouteOptions, fallbackFeature: string): RouteBudget {
    const feature = options.feature ?? fallbackFeature;
    const rule = routeRuleOf(options, feature, fallbackFeature);
    if (rule) this.budgets.registry.registerRouteRule(rule, fallbackFeature); // normally done at boot already
    return {
      feature,
      rules: this.budgets.registry.rulesFor(feature),
      ...routeEstimationOf(options, this.options),
      usage: options.usage,
      stopStreamWhenExhausted: options.stopStreamWhenExhausted,
      maxCallDurationMs: callDurationOf(options, fallbackFeature),
      skip: false,
      decorated: false,
      deferred: false,
    };
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
