import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { defer, finalize, from, Observable, switchMap, tap } from 'rxjs';
import { BudgetService } from './budget.service';
import type { Reservation } from './reservation';
import { isAdmitted, RequestWithTokenBudget, TokenBudgetRequestState } from './request-state';
import { isPromise } from './maybe-promise';
import { ADMITTER_KEY, REQUEST_STATE_KEY } from './token-budget.constants';
import { TokenBudgetGuard } from './token-budget.guard';
import { readProviderUsage } from './usage/extract-usage';

const noop = (): void => undefined;

/**
 * Commits the usage of a budgeted route's result in place of its reservation, or releases the
 * reservation when the handler throws. Applied by `@TokenBudget()`; never register it globally
 * (a global interceptor costs every route of the app throughput).
 */
@Injectable()
export class TokenBudgetInterceptor implements NestInterceptor {
  private readonly logger = new Logger(TokenBudgetInterceptor.name);
  private readonly sse = new WeakMap<object, boolean>();

  constructor(
    private readonly budgets: BudgetService,
    private readonly guard: TokenBudgetGuard,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<RequestWithTokenBudget & Record<symbol, TokenBudgetGuard | undefined>>();
    if (isAdmitted(req?.[REQUEST_STATE_KEY])) return this.settle(context, req[REQUEST_STATE_KEY], next);
    // Admit through the TokenBudgetGuard (or subclass) that deferred to us, else the module's.
    const admitted = (req?.[ADMITTER_KEY] ?? this.guard).admitForInterceptor(context);
    if (isPromise(admitted)) return from(admitted).pipe(switchMap(() => this.settleAdmitted(context, req, next)));
    return this.settleAdmitted(context, req, next);
  }

  private settleAdmitted(context: ExecutionContext, req: RequestWithTokenBudget | undefined, next: CallHandler): Observable<unknown> {
    const state = req?.[REQUEST_STATE_KEY];
    return state ? this.settle(context, state, next) : next.handle();
  }

  private settle(context: ExecutionContext, state: TokenBudgetRequestState, next: CallHandler): Observable<unknown> {
    state.intercepted = true;
    const reservation = state.reservation;
    if (!reservation) return next.handle();
    if (this.isSse(context.getHandler())) return this.settleStream(state, reservation, next);
    return this.settleResult(state, reservation, next.handle());
  }

  /**
   * Commits the usage of the (single) result before passing it on, releases on error, and
   * commits the estimate when unsubscribed before a result (the client went away; the provider
   * may have billed). Written as one Observable rather than an operator chain: this is the hot
   * path of every budgeted request.
   */
  private settleResult(state: TokenBudgetRequestState, reservation: Reservation, source: Observable<unknown>): Observable<unknown> {
    return new Observable((subscriber) => {
      let committing = false;
      let completed = false;
      const subscription = source.subscribe({
        next: (value) => {
          if (reservation.settled) return subscriber.next(value);
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
        subscription.unsubscribe();
        if (!reservation.settled) this.commitEstimate(reservation);
      };
    });
  }

  /**
   * Streams (`@Sse()`): keep the last usage an event carries; commit it when the stream ends, the
   * estimate when none came. Reading usage never disturbs the stream.
   */
  private settleStream(state: TokenBudgetRequestState, reservation: Reservation, next: CallHandler): Observable<unknown> {
    let last: unknown;
    let seen = false;
    return defer(() => next.handle()).pipe(
      tap({
        next: (event) => {
          const data = (event as { data?: unknown })?.data ?? event;
          let found = false;
          try {
            found = state.usage ? state.usage(data) !== undefined : readProviderUsage(data).kind !== 'none';
          } catch {
            // an extractor that throws on an event does not end the stream; that event is skipped
          }
          if (found) {
            last = data;
            seen = true;
          }
        },
        // a stream that fails after usage arrived was billed for it: finalize commits that usage
        error: () => {
          if (!seen) this.release(reservation);
        },
      }),
      finalize(() => {
        if (reservation.settled) return;
        if (seen) void this.commit(state, reservation, last);
        else this.commitEstimate(reservation);
      }),
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
      const pending = this.budgets.commitFromResult(reservation, value, state.usage, state.feature);
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
    this.logger.error(`Settling reservation ${reservation.id} failed; its lease will release it: ${String(error)}`);
  }
}
