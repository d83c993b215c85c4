import type { Logger } from '@nestjs/common';
import type { BudgetTarget } from '../budget.types';
import { targetOfCounter } from '../counters/budget-targets';
import type { BudgetEventBus } from '../events/budget-event-bus';
import type { BudgetNotifier } from '../events/budget-notifier';
import { isPromise, MaybePromise } from '../maybe-promise';
import type { CostCalculator } from '../pricing/cost-calculator';
import { nanosToUsd } from '../pricing/money';
import type { Reservation, ReservationSettler } from '../reservation';
import { nextReservationId } from '../reservation-id';
import type { BudgetCounter, CommitRequest, CommitResult, ReleaseRequest, StorageAdapter } from '../storage/storage-adapter.interface';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_CALL_DURATION_MS, DEFAULT_MAX_PENDING_SETTLEMENTS } from '../token-budget.constants';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import { InvalidUsageError } from '../usage/invalid-usage.error';
import { normalizeUsageInput } from '../usage/normalize-usage';
import { plausibleUsage } from '../usage/plausible-usage';
import type { Usage, UsageExtractor, UsageInput } from '../usage/usage.interface';
import { LeaseKeeper } from './lease-keeper';
import { ResultCommit } from './result-commit';
import { PendingSettlement, SettlementRetryQueue } from './settlement-retry-queue';

/** What settling reservations shares with BudgetService. */
export interface SettlementContext {
  readonly storage: StorageAdapter;
  readonly costs: CostCalculator;
  readonly bus: BudgetEventBus;
  readonly notifier: BudgetNotifier;
  readonly logger: Logger;
  now(): number;
}

/**
 * Settles reservations: commits usage in place of a hold (clamped to the hold's plausible bounds),
 * releases holds, keeps the leases of running calls, and retries with the same id the commits and
 * releases storage did not take. Every reservation BudgetService makes settles through it.
 */
export class ReservationSettlement implements ReservationSettler {
  private readonly keeper: LeaseKeeper;
  private readonly retries: SettlementRetryQueue;
  private readonly results: ResultCommit;
  /** The module's lease (ms), for holds that name none. */
  private readonly leaseMs: number;
  /** The module's longest call (ms; 0 = no limit). */
  private readonly maxCallDurationMs: number;

  constructor(
    private readonly host: SettlementContext,
    options: TokenBudgetModuleOptions,
  ) {
    const now = () => host.now();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.maxCallDurationMs = options.maxCallDurationMs ?? DEFAULT_MAX_CALL_DURATION_MS;
    const maxPending = options.settlementRetry?.maxPending ?? DEFAULT_MAX_PENDING_SETTLEMENTS;
    this.keeper = new LeaseKeeper(host.storage, now, host.logger);
    this.retries = new SettlementRetryQueue(host.storage, now, { maxPending, minDelayMs: 100, maxDelayMs: 2_000 }, host.logger);
    this.results = new ResultCommit(this, options.usage, host.logger);
  }

  /** Commits the usage read from a handler result (see {@link ResultCommit}); the estimate when it carries none. */
  commitFromResult(reservation: Reservation, result: unknown, extractor: UsageExtractor | undefined, where: string): MaybePromise<Usage> {
    return this.results.commitFromResult(reservation, result, extractor, where);
  }

  /** Commits and releases waiting for storage to take them. */
  get pending(): number {
    return this.retries.size;
  }

  /** Reservations whose leases are being renewed (calls still running). */
  get kept(): number {
    return this.keeper.size;
  }

  /** The module's longest call (0 = no limit). */
  get callDurationLimitMs(): number {
    return this.maxCallDurationMs;
  }

  /** Renews the reservation's lease while its call runs (see `leaseMs`), for at most `maxCallDurationMs`. */
  keepReservation(reservation: Reservation, maxCallDurationMs = this.maxCallDurationMs): void {
    this.keeper.keep(reservation, reservation.hold.leaseMs ?? this.leaseMs, maxCallDurationMs);
  }

  /** Stops renewing leases, then retries what is waiting for storage for at most `timeoutMs`; what is left is logged. */
  async close(timeoutMs: number): Promise<void> {
    this.keeper.stopAll();
    if (this.retries.size === 0) return;
    this.host.logger.warn(
      `Shutting down with ${this.retries.size} commits or releases waiting for storage; retrying them for up to ${timeoutMs} ms`,
    );
    await this.retries.flush(timeoutMs, (entry) => this.dropped(entry, new Error('shutdown came before storage took it')));
  }

  commitReservation(reservation: Reservation, input: UsageInput | undefined): MaybePromise<Usage> {
    // implausible reports are clamped here, before storage sees them (undefined: the estimate is charged)
    const reported = input === undefined ? undefined : this.plausible(reservation, normalizeUsageInput(input));
    const usage = reported === undefined ? estimatedUsage(reservation.estimate) : reported;
    const now = this.host.now();
    // usage that names no model is priced as the estimate's model; an estimate committed as is costs what it was priced at
    // per-call fees held with the estimate are charged with the usage as they were held
    const cost = reported === undefined ? reservation.hold.estimateCostNanos : this.usageCost(reservation, usage, now);
    reservation.markCommitting();
    const request: CommitRequest = { id: reservation.id, counters: reservation.counters, amount: usage.totalTokens, cost, now };
    const landed = (result: CommitResult | void) => {
      reservation.markCommitted();
      this.keeper.stop(reservation);
      this.afterCommit(reservation.id, reservation.counters, result, usage, cost, usage.model ?? reservation.model);
    };
    let pending: MaybePromise<CommitResult | void>;
    try {
      pending = this.host.storage.commit(request);
    } catch (error) {
      return this.commitFailed(reservation, request, landed, error, usage);
    }
    if (!isPromise(pending)) {
      landed(pending);
      return usage;
    }
    return pending.then(
      (result) => {
        landed(result);
        return usage;
      },
      (error: unknown) => this.commitFailed(reservation, request, landed, error, usage),
    );
  }

  releaseReservation(reservation: Reservation): MaybePromise<void> {
    this.keeper.stop(reservation);
    const request: ReleaseRequest = { id: reservation.id, counters: reservation.counters, now: this.host.now() };
    let pending: MaybePromise<void>;
    try {
      pending = this.host.storage.release(request);
    } catch (error) {
      return this.releaseFailed(request, error);
    }
    return isPromise(pending) ? pending.catch((error: unknown) => this.releaseFailed(request, error)) : pending;
  }

  private usageCost(reservation: Reservation, usage: Usage, now: number): number {
    const priced = usage.model === undefined && reservation.model ? { ...usage, model: reservation.model } : usage;
    return this.host.costs.usageCost(priced, now) + (reservation.hold.feesNanos ?? 0);
  }

  /** Counts `usage` that was not reserved beforehand on every counter of `targets` (`BudgetService.record`). */
  async record(targets: readonly BudgetTarget[], usage: UsageInput, now: number): Promise<Usage> {
    const normalized = normalizeUsageInput(usage);
    const cost = this.host.costs.usageCost(normalized, now);
    const id = nextReservationId();
    const counters = targets.map((t) => t.counter);
    const result = await this.host.storage.commit({ id, counters, amount: normalized.totalTokens, cost, now });
    this.afterCommit(id, counters, result, normalized, cost, normalized.model);
    return normalized;
  }

  /** Events of a commit; a failure to build them never fails the commit. */
  afterCommit(
    id: string,
    counters: readonly BudgetCounter[],
    result: CommitResult | void,
    usage: Usage,
    cost: number,
    model: string | undefined,
  ): void {
    if (!result || !this.host.bus.observed) return;
    try {
      const targets: (BudgetTarget | undefined)[] = counters.map(targetOfCounter);
      this.host.notifier.committed(id, targets, result, usage, { cost, model });
    } catch (error) {
      this.host.logger.error(`Emitting the events of commit ${id} failed: ${String(error)}`);
    }
  }

  /**
   * The usage to charge for `reported`: as reported when it is within the reservation's bounds,
   * else clamped to them (or `undefined`, the estimate, for a report of zero), logged and emitted
   * as a `usage_anomaly` event.
   */
  private plausible(reservation: Reservation, reported: Usage): Usage | undefined {
    const bounds = reservation.bounds;
    if (!bounds) return reported;
    const { usage, reasons } = plausibleUsage(reported, bounds);
    if (reasons.length === 0) return usage;
    const charged = usage ?? estimatedUsage(reservation.estimate);
    this.host.logger.warn(
      `Implausible usage reported for reservation ${reservation.id} (${reasons.join(', ')}): input ${reported.inputTokens}, output ${reported.outputTokens}, total ${reported.totalTokens}; ` +
        `bounds input ${bounds.inputTokens ?? 'none'}, output ${bounds.outputTokens ?? 'none'}; charged ${charged.totalTokens} tokens`,
    );
    if (this.host.bus.observed) {
      try {
        this.host.bus.emit({ type: 'usage_anomaly', reservationId: reservation.id, reasons, reported, charged, bounds });
      } catch (error) {
        this.host.logger.error(`Emitting the usage_anomaly event of ${reservation.id} failed: ${String(error)}`);
      }
    }
    return usage;
  }

  /**
   * A commit storage did not take: kept and retried with the same id (the reservation stays
   * `committing`, its lease renewed, until it lands); refused input, or a full queue, fails as before.
   */
  private commitFailed(
    reservation: Reservation,
    request: CommitRequest,
    landed: (result: CommitResult | void) => void,
    error: unknown,
    usage: Usage,
  ): Usage {
    const retriable = !(error instanceof InvalidUsageError) && !(error instanceof RangeError);
    const entry: PendingSettlement = {
      kind: 'commit',
      request,
      attempts: 0,
      landed: (result) => {
        landed(result);
        this.event('landed', entry);
      },
    };
    if (retriable && this.retries.add(entry)) {
      this.host.logger.warn(
        `Storage did not take the commit of reservation ${request.id} (${request.amount} tokens, ${nanosToUsd(request.cost)} USD); kept and retried until it does (${this.retries.size} pending): ${String(error)}`,
      );
      this.event('queued', entry, error);
      return usage;
    }
    reservation.markCommitted();
    this.keeper.stop(reservation);
    if (retriable) this.dropped(entry, error);
    throw error;
  }

  /** A release storage did not take: retried like a commit (else its hold lapses with its lease). */
  private releaseFailed(request: ReleaseRequest, error: unknown): void {
    const entry: PendingSettlement = { kind: 'release', request, attempts: 0, landed: () => this.event('landed', entry) };
    if (!this.retries.add(entry)) throw error;
    this.host.logger.warn(
      `Storage did not take the release of reservation ${request.id}; kept and retried until it does: ${String(error)}`,
    );
    this.event('queued', entry, error);
  }

  private dropped(entry: PendingSettlement, error: unknown): void {
    const { request } = entry;
    const commit = entry.kind === 'commit' ? (request as CommitRequest) : undefined;
    const figures = commit
      ? ` (${commit.amount} tokens, ${nanosToUsd(commit.cost)} USD, counters ${request.counters.map((c) => c.key).join(' ')})`
      : '';
    this.host.logger.error(`The ${entry.kind} of reservation ${request.id}${figures} was not stored and is dropped: ${String(error)}`);
    this.event('dropped', entry, error);
  }

  private event(action: 'queued' | 'landed' | 'dropped', entry: PendingSettlement, error?: unknown): void {
    if (!this.host.bus.observed) return;
    const commit = entry.kind === 'commit' ? (entry.request as CommitRequest) : undefined;
    this.host.bus.emit({
      type: 'settlement',
      action,
      kind: entry.kind,
      reservationId: entry.request.id,
      tokens: commit?.amount ?? 0,
      costUsd: commit ? nanosToUsd(commit.cost) : 0,
      pending: this.retries.size,
      ...(error === undefined ? {} : { error: String(error) }),
    });
  }
}

/** Usage that charges the estimate as is (no provider usage could be read). */
export function estimatedUsage(tokens: number): Usage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: tokens, estimated: true };
}
