import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { AdminOptions, GrantAmount, LimitOverride, ListUsageQuery, SpendReport, SpendReportQuery } from './admin/admin.types';
import { BudgetAdmin } from './admin/budget-admin';
import { checkResult, usageOf } from './admission/budget-figures';
import { checkEstimate } from './admission/checked-estimate';
import { AdmissionFigures, AdmissionRoute, RequestAdmission } from './admission/request-admission';
import type { BudgetCheckResult, BudgetTarget, BudgetUsage, ResetOptions, ServiceCallOptions, TrackOptions } from './budget.types';
import { BudgetTargets } from './counters/budget-targets';
import type { EstimateInput } from './estimation/usage-estimate';
import { BudgetEventBus } from './events/budget-event-bus';
import type { BudgetEvent, BudgetEventOf, BudgetEventType } from './events/budget-events';
import { BudgetNotifier } from './events/budget-notifier';
import type { MaybePromise } from './maybe-promise';
import { CostCalculator } from './pricing/cost-calculator';
import type { Reservation } from './reservation';
import { ReservationEngine } from './reservations/reservation-engine';
import { BudgetRuleRegistry } from './rules/rule-registry';
import { ReservationSettlement } from './settlement/reservation-settlement';
import { StorageAdapter } from './storage/storage-adapter.interface';
import { moduleClock } from './storage/storage-clock';
import { BudgetSubject, subjectIds } from './subject';
import { TierResolver } from './tiers/tier.resolver';
import {
  DEFAULT_KEY_PREFIX,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ID_LENGTH,
  DEFAULT_SETTLEMENT_FLUSH_MS,
  TOKEN_BUDGET_OPTIONS,
} from './token-budget.constants';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { BudgetRule } from './budget-rule.interface';
import type { BudgetRequest } from './budget-request';
import { DEFAULT_INPUT_FACTOR } from './usage/plausible-usage';
import type { Usage, UsageExtractor, UsageInput } from './usage/usage.interface';

/**
 * The one place that knows rules, periods and rollover. Use it directly for work outside HTTP
 * (queues, cron jobs, websockets); the guard and interceptor are thin adapters over it.
 *
 * Its work is done by units it builds: the rule registry (`rules/`), the counters of budgets
 * (`counters/`), the reservation engine that makes holds (`reservations/`), settlement (commit,
 * release, retries, leases, usage read from results: `settlement/`), request admission for the
 * guard (`admission/`) and the admin calls (`admin/`).
 */
@Injectable()
export class BudgetService implements OnModuleDestroy {
  private readonly logger = new Logger(BudgetService.name);
  /** @internal The time budgets go by: the storage's clock when it has one (Redis), else the module's `clock`. */
  readonly now: () => number;
  /** @internal Module rules, route budgets, call rules and tier overlays (the guard and the boot-time route explorer use it). */
  readonly registry: BudgetRuleRegistry;
  /** @internal Commits, releases, retries and lease keeping of every reservation (the interceptor commits through it). */
  readonly settlement: ReservationSettlement;
  private readonly counters: BudgetTargets;
  private readonly engine: ReservationEngine;
  private readonly admission: RequestAdmission;
  private readonly costs: CostCalculator;
  private readonly bus = new BudgetEventBus();
  private readonly admin: BudgetAdmin;

  constructor(
    @Inject(TOKEN_BUDGET_OPTIONS) readonly options: TokenBudgetModuleOptions,
    @Inject(StorageAdapter) readonly storage: StorageAdapter,
    @Optional() tiers?: TierResolver,
  ) {
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const now = () => this.now();
    const notifier = new BudgetNotifier(this.bus);
    this.now = moduleClock(storage, options);
    this.registry = new BudgetRuleRegistry(options, tiers);
    this.counters = new BudgetTargets(prefix, options.maxIdLength ?? DEFAULT_MAX_ID_LENGTH);
    this.costs = new CostCalculator({
      pricing: options.pricing,
      defaultModel: options.defaultModel,
      costLimited: this.registry.moduleRules.some((rule) => rule.costLimit > 0),
    });
    this.settlement = new ReservationSettlement({ storage, costs: this.costs, bus: this.bus, notifier, logger: this.logger, now }, options);
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.engine = new ReservationEngine(storage, this.costs, notifier, this.settlement, leaseMs, options.reservationPolicy ?? 'strict');
    const inputFactor = options.plausibleUsage === false ? undefined : (options.plausibleUsage?.inputFactor ?? DEFAULT_INPUT_FACTOR);
    this.admission = new RequestAdmission(this.registry, this.counters, this.engine, this.settlement, now, inputFactor);
    this.admin = new BudgetAdmin({
      storage,
      prefix,
      now,
      // a user's tier replaces limits and adds budgets: admin calls see the budgets its requests count on
      targets: (subject, rules, now) => this.targetsFor(subject, now, rules),
      rules: () => this.registry.all(),
      target: async (rule, id, now) =>
        this.counters.target(rule.scope === 'user' ? await this.registry.ruleForUser(rule, id) : rule, id, now),
    });
  }

  /**
   * Every budget event as it happens: `committed` (usage counted on a budget), `threshold` (a
   * rule's `thresholds` fraction reached, once per subject and period across instances) and
   * `exceeded` (a call refused, or admitted past an `onExceeded: 'warn'` budget).
   *
   * @example
   * budgets.events$.subscribe((event) => metrics.increment(`budget.${event.type}`, { scope: event.scope }));
   */
  get events$(): Observable<BudgetEvent> {
    return this.bus.events$;
  }

  /**
   * The events of one type.
   *
   * @example
   * budgets.on('threshold').subscribe((e) => mailer.send(e.id, `You used ${e.threshold * 100}% of your ${e.rule} budget`));
   */
  on<T extends BudgetEventType>(type: T): Observable<BudgetEventOf<T>> {
    return this.bus.on(type);
  }

  /**
   * Stops renewing leases, then retries the commits and releases still waiting for storage for
   * at most `settlementRetry.flushTimeoutMs`; what is left is logged with its figures.
   */
  async onModuleDestroy(): Promise<void> {
    await this.settlement.close(this.options.settlementRetry?.flushTimeoutMs ?? DEFAULT_SETTLEMENT_FLUSH_MS);
    this.bus.complete();
  }

  /** Commits and releases waiting for storage to take them (see `settlementRetry`); a gauge for metrics. */
  get pendingSettlements(): number {
    return this.settlement.pending;
  }

  /**
   * Whether a call of `estimate` (tokens, or `{ inputTokens, outputTokens, model }`) would be
   * admitted now, what it would cost, and the tightest budget's figures. Reserves nothing.
   */
  async check(subject: BudgetSubject, estimate: EstimateInput = 0, options: ServiceCallOptions = {}): Promise<BudgetCheckResult> {
    const checked = checkEstimate(estimate);
    const now = this.now();
    const targets = await this.targetsFor(subject, now, options.rules);
    const costNanos = this.engine.price(estimate, now);
    const states = await this.storage.read(
      targets.map((t) => t.counter),
      now,
    );
    return checkResult(targets, states, checked.tokens, costNanos, options.reservationPolicy ?? this.options.reservationPolicy ?? 'strict');
  }

  /**
   * Holds `estimate` on every budget of the subject, atomically: all or none. The estimate is a
   * token count or `{ inputTokens, outputTokens, model }`; with a model (or `defaultModel`) it is
   * priced and the money is held on cost budgets too. Throws {@link BudgetExceededException} when
   * any budget cannot take it (under `'clamp'`, when any has nothing left).
   *
   * @example
   * const reservation = await budgets.reserve('user-42', { inputTokens: 900, outputTokens: 300, model: 'gpt-4o-mini' });
   * try { const result = await llm.call(); await reservation.commit(result.usage.total_tokens); }
   * catch (error) { await reservation.release(); throw error; }
   */
  async reserve(subject: BudgetSubject, estimate: EstimateInput, options: ServiceCallOptions = {}): Promise<Reservation> {
    const now = this.now();
    const targets = await this.targetsFor(subject, now, options.rules);
    return this.engine.reserve(targets, estimate, now, { leaseMs: options.leaseMs, policy: options.reservationPolicy });
  }

  /**
   * Reserves, runs `fn`, then commits the usage read from its result (or releases and rethrows
   * when it throws).
   */
  async track<T>(subject: BudgetSubject, fn: () => T | Promise<T>, options: TrackOptions<T> = {}): Promise<T> {
    const reservation = await this.reserve(subject, options.estimate ?? 0, options);
    this.settlement.keepReservation(reservation);
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await reservation.release();
      throw error;
    }
    try {
      await this.settlement.commitFromResult(
        reservation,
        result,
        options.usage as UsageExtractor | undefined,
        subjectIds(subject).feature ?? 'track',
      );
    } catch (error) {
      // the call was made and paid for: its result is returned whatever happened to the bookkeeping
      this.logger.error(`Committing the usage of reservation ${reservation.id} failed: ${String(error)}`);
    }
    return result;
  }

  /** Counts usage that was not reserved beforehand (it may take a budget past its limit). */
  async record(subject: BudgetSubject, usage: UsageInput, options: ServiceCallOptions = {}): Promise<Usage> {
    const now = this.now();
    return this.settlement.record(await this.targetsFor(subject, now, options.rules), usage, now);
  }

  /** Usage of each budget of the subject in its current period. */
  async getUsage(subject: BudgetSubject, options: ServiceCallOptions = {}): Promise<BudgetUsage[]> {
    const now = this.now();
    const targets = await this.targetsFor(subject, now, options.rules);
    const states = await this.storage.read(
      targets.map((t) => t.counter),
      now,
    );
    return targets.map((target, i) => usageOf(target, states[i]));
  }

  /**
   * Deletes usage, reservations, grants and thresholds reached in the current period on the
   * subject's own budgets (the scopes it names: `user`, `tenant`, `key`, `session`), or on the
   * `scopes` given (e.g. `['global']`). Limit overrides stay.
   */
  reset(subject: BudgetSubject, options: ResetOptions = {}): Promise<void> {
    return this.admin.reset(subject, options);
  }

  /**
   * Adds credits to the current period of the subject's own budgets (same scoping as `reset`;
   * `rule` picks one budget by name): `effectiveLimit = limit + carryover + granted`. Credits end
   * with the period and are cleared by `reset`. Returns the budgets' figures after the grant.
   *
   * @example
   * await budgets.grant('user-42', { tokens: 50_000 });
   * await budgets.grant({ tenant: 'acme' }, { costUsd: 20 }, { rule: 'tenant:month' });
   */
  grant(subject: BudgetSubject, amount: GrantAmount, options: AdminOptions = {}): Promise<BudgetUsage[]> {
    return this.admin.grant(subject, amount, options);
  }

  /**
   * Replaces the rule's limits for this subject (same scoping as `reset`; `rule` picks one budget
   * by name). Kept in storage until removed, so it survives restarts and applies to the next
   * request on every instance. `null` removes the override.
   *
   * @example
   * await budgets.setLimit('user-42', { tokens: 1_000_000, costUsd: 50 }); // this user's plan
   * await budgets.setLimit('user-42', null);                               // back to the rule's limits
   */
  setLimit(subject: BudgetSubject, limits: LimitOverride | null, options: AdminOptions = {}): Promise<void> {
    return this.admin.setLimit(subject, limits, options);
  }

  /** Removes the subject's limit override (`setLimit(subject, null)`). */
  clearLimit(subject: BudgetSubject, options: AdminOptions = {}): Promise<void> {
    return this.admin.setLimit(subject, null, options);
  }

  /**
   * The subjects of one budget rule with the most committed tokens (or money) in the current
   * period, read from a ranking kept per rule and period (no key scan).
   *
   * @example
   * const top = await budgets.listUsage({ scope: 'user', period: 'month', orderBy: 'cost', limit: 20 });
   */
  listUsage(query: ListUsageQuery): Promise<BudgetUsage[]> {
    return this.admin.listUsage(query);
  }

  /**
   * Tokens, USD and calls per feature in the current period, from the module's `{ scope: 'feature' }` rule.
   *
   * @example
   * const { lines } = await budgets.spendReport({ by: 'feature' }); // [{ feature: 'chat', tokens: 120_000, costUsd: 3.2, ... }, ...]
   */
  spendReport(query: SpendReportQuery = {}): Promise<SpendReport> {
    return this.admin.spendReport(query);
  }

  /**
   * @internal Admits one HTTP request of `userId` on the route's budgets (the guard's, or the
   * interceptor's on a `@TokenBudget()` route): see {@link RequestAdmission}. Fills `figures` with
   * what it holds; throws or rejects with a typed refusal, and holds nothing then.
   */
  admit(
    route: AdmissionRoute,
    req: BudgetRequest,
    userId: unknown,
    estimate: MaybePromise<EstimateInput>,
    figures: AdmissionFigures,
  ): MaybePromise<Reservation> {
    return this.admission.admit(route, req, userId, estimate, figures);
  }

  /**
   * @internal Every budget a call of `subject` counts on in the period of `now`: module rules, its
   * feature's route budget and `rules`, with the limits of its user's tier.
   */
  async targetsFor(subject: BudgetSubject, now: number, rules?: readonly BudgetRule[]): Promise<BudgetTarget[]> {
    const ids = subjectIds(subject);
    const tier = await this.registry.budgetTier(ids.user);
    return this.counters.of(this.registry.forTier(this.registry.rulesFor(ids.feature, rules), tier), ids, undefined, now);
  }
}
