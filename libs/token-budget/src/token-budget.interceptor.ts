import {
  CallHandler,
  ExecutionContext,
  GatewayTimeoutException,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
  StreamableFile,
} from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { concatMap, from, Observable, of, switchMap } from 'rxjs';
import { BudgetService } from './budget.service';
import { HttpAdmission } from './http-admission';
import type { Reservation } from './reservation';
import { isAdmitted, RequestWithTokenBudget, TokenBudgetRequestState } from './request-state';
import { isPromise, MaybePromise, then } from './maybe-promise';
import { ADMITTER_KEY, REQUEST_STATE_KEY, TOKEN_BUDGET_OPTIONS } from './token-budget.constants';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import { TokenBudgetGuard } from './token-budget.guard';
import { streamSourceOf } from './streams/detect-stream';
import { MeteredReadable } from './streams/metered-readable';
import { setHeaderIfMissing } from './streams/response-headers';
import { meterSse } from './streams/sse-observable';
import { StreamSettlement } from './streams/stream-settlement';
import type { StreamSource } from './streams/stream-source';

const noop = (): void => undefined;

/**
 * Commits the usage of a budgeted route's result in place of its reservation, or releases the
 * reservation when the handler throws. Applied by `@TokenBudget()`; never register it globally
 * (a global interceptor costs every route of the app throughput).
 *
 * On a `@TokenBudget()` route it also admits the request: TokenBudgetGuard defers to it, so the
 * hold is made after every guard has passed (a request another guard refuses holds nothing). It
 * admits through the same service-layer call as the guard (`BudgetService.admit()`, via
 * HttpAdmission), with the hooks (`admissionHooks`) of the guard that deferred: a subclass of
 * TokenBudgetGuard leaves itself on the request, else the module's TokenBudgetGuard is used. So
 * identity, estimate, skipping and the 429 answer are customised on the guard, in one place.
 *
 * It is deliberately closed (no overridable hooks): everything it does is driven by the route's
 * metadata (`@TokenBudget({ usage, stopStreamWhenExhausted, maxCallDurationMs })`, `@Sse()`) and the
 * module options, and how a result's usage is read is the `usage` option's job.
 */
@Injectable()
export class TokenBudgetInterceptor implements NestInterceptor {
  private readonly logger = new Logger(TokenBudgetInterceptor.name);
  private readonly sse = new WeakMap<object, boolean>();
  private readonly http: HttpAdmission;

  constructor(
    private readonly budgets: BudgetService,
    private readonly guard: TokenBudgetGuard,
    private readonly reflector: Reflector,
    adapterHost: HttpAdapterHost,
    @Inject(TOKEN_BUDGET_OPTIONS) options: TokenBudgetModuleOptions,
  ) {
    this.http = new HttpAdmission(budgets, adapterHost, options, this.logger);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<RequestWithTokenBudget & Record<symbol, TokenBudgetGuard | undefined>>();
    if (isAdmitted(req?.[REQUEST_STATE_KEY])) return this.settle(context, req[REQUEST_STATE_KEY], next);
    const admitted = this.admit(context, req?.[ADMITTER_KEY] ?? this.guard);
    if (isPromise(admitted)) return from(admitted).pipe(switchMap(() => this.settleAdmitted(context, req, next)));
    return this.settleAdmitted(context, req, next);
  }

  /** Deferred admission with the hooks of the guard that deferred; this interceptor settles what it holds. */
  private admit(context: ExecutionContext, guard: TokenBudgetGuard): MaybePromise<boolean> {
    const hooks = guard.admissionHooks;
    return then(hooks.shouldSkip(context), (skipped) => skipped || this.http.admit(context, hooks));
  }

  private settleAdmitted(context: ExecutionContext, req: RequestWithTokenBudget | undefined, next: CallHandler): Observable<unknown> {
    const state = req?.[REQUEST_STATE_KEY];
    return state ? this.settle(context, state, next) : next.handle();
  }

  private settle(context: ExecutionContext, state: TokenBudgetRequestState, next: CallHandler): Observable<unknown> {
    state.intercepted = true;
    const reservation = state.reservation;
    if (this.isSse(context.getHandler()))
      return meterSse(next.handle(), this.streamSettlement(state, reservation), reservation ? (state.maxCallDurationMs ?? 0) : 0);
    if (!reservation) return this.sendStreams(context, state, next.handle());
    return this.settleResult(context, state, reservation, next.handle());
  }

  /**
   * Commits the usage of the (single) result before passing it on, releases on error, and
   * commits the estimate when unsubscribed before a result (the client went away; the provider
   * may have billed). A stream result (SDK stream, Readable, web stream, async iterable) is sent
   * on as it flows and settled when it ends (see {@link MeteredReadable}). Written as one
   * Observable rather than an operator chain: this is the hot path of every budgeted request.
   */
  private settleResult(
    context: ExecutionContext,
    state: TokenBudgetRequestState,
    reservation: Reservation,
    source: Observable<unknown>,
  ): Observable<unknown> {
    return new Observable((subscriber) => {
      let committing = false;
      let completed = false;
      let streaming = false;
      let body: MeteredReadable | undefined;
      // the call's deadline: a handler still running is answered 504 and charged its estimate; a
      // stream is ended and charged what it streamed
      const maxMs = state.maxCallDurationMs ?? 0;
      const deadline =
        maxMs > 0
          ? setTimeout(() => {
              if (body) return body.expire();
              if (reservation.settled || streaming) return;
              subscription.unsubscribe();
              this.commitEstimate(reservation);
              subscriber.error(
                new GatewayTimeoutException({
                  statusCode: 504,
                  error: 'call_duration_exceeded',
                  message: `The call ran longer than the longest call allowed (${maxMs} ms); its estimate is counted.`,
                }),
              );
            }, maxMs)
          : undefined;
      deadline?.unref();
      const subscription = source.subscribe({
        next: (value) => {
          if (reservation.settled) return subscriber.next(value);
          const stream = streaming ? undefined : streamSourceOf(value);
          if (stream) {
            streaming = committing = true;
            this.openStream(context, state, reservation, stream).then(
              (file) => {
                committing = false;
                body = file.getStream() as MeteredReadable;
                // a stream is ended by its deadline; the timer is cleared once it has ended
                body.once('close', () => deadline && clearTimeout(deadline));
                subscriber.next(file);
                if (completed) subscriber.complete();
              },
              (error: unknown) => {
                if (deadline) clearTimeout(deadline);
                subscriber.error(error);
              },
            );
            return;
          }
          const pending = this.commit(state, reservation, value);
          if (!pending) return subscriber.next(value);
          committing = true;
          pending.then(() => {
            committing = false;
            subscriber.next(value);
            if (completed) subscriber.complete();
          });
        },
        error: (error: unknown) => {
          this.release(reservation);
          subscriber.error(error);
        },
        complete: () => {
          if (committing) completed = true;
          else subscriber.complete();
        },
      });
      return () => {
        if (deadline && !streaming) clearTimeout(deadline);
        subscription.unsubscribe();
        if (!reservation.settled && !streaming) this.commitEstimate(reservation);
      };
    });
  }

  /** Admitted without a hold (failMode 'open'): streams are still sent as they flow, nothing is settled. */
  private sendStreams(context: ExecutionContext, state: TokenBudgetRequestState, source: Observable<unknown>): Observable<unknown> {
    return source.pipe(
      concatMap((value) => {
        const stream = streamSourceOf(value);
        return stream ? from(this.openStream(context, state, undefined, stream)) : of(value);
      }),
    );
  }

  /**
   * Waits for the first item of a streamed result (a failure before it is an ordinary error
   * response, and the hold is released), then answers with a body that streams every item on.
   */
  private async openStream(
    context: ExecutionContext,
    state: TokenBudgetRequestState,
    reservation: Reservation | undefined,
    stream: StreamSource,
  ): Promise<StreamableFile> {
    const settlement = this.streamSettlement(state, reservation, stream.failed === true);
    let first: IteratorResult<unknown>;
    try {
      first = await stream.iterator.next();
    } catch (error) {
      settlement.finish('error');
      throw error;
    }
    const body = new MeteredReadable(stream, first, settlement);
    const type = body.contentType();
    if (type?.startsWith('text/event-stream')) {
      const res = context.switchToHttp().getResponse();
      setHeaderIfMissing(res, 'Cache-Control', 'no-cache');
      setHeaderIfMissing(res, 'X-Accel-Buffering', 'no');
    }
    return new StreamableFile(body, { type });
  }

  private streamSettlement(state: TokenBudgetRequestState, reservation: Reservation | undefined, upstreamFailed = false): StreamSettlement {
    return new StreamSettlement(
      {
        reservation,
        usage: state.usage,
        feature: state.feature,
        inputEstimate: state.inputEstimate ?? state.usageEstimate?.inputTokens,
        stopWhenExhausted: state.stopStreamWhenExhausted === true,
        upstreamFailed,
      },
      this.logger,
    );
  }

  private isSse(handler: object): boolean {
    let sse = this.sse.get(handler);
    if (sse === undefined) this.sse.set(handler, (sse = this.reflector.get(SSE_METADATA, handler as never) === true));
    return sse;
  }

  /** Commits the usage of `value`; a Promise only when the storage answers with one. Never rejects. */
  private commit(state: TokenBudgetRequestState, reservation: Reservation, value: unknown): Promise<void> | undefined {
    try {
      const pending = this.budgets.settlement.commitFromResult(reservation, value, state.usage, state.feature);
      if (isPromise(pending)) return pending.then(noop, (error: unknown) => this.failed(reservation, error));
    } catch (error) {
      this.failed(reservation, error);
    }
    return undefined;
  }

  private commitEstimate(reservation: Reservation): void {
    reservation.commit().catch((error: unknown) => this.failed(reservation, error));
  }

  private release(reservation: Reservation): void {
    reservation.release().catch((error: unknown) => this.failed(reservation, error));
  }

  private failed(reservation: Reservation, error: unknown): void {
    this.logger.error(`Settling reservation ${reservation.id} failed: ${String(error)}`);
  }
}
