import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { AdminOptions, GrantAmount, LimitOverride, ListUsageQuery, SpendReport, SpendReportQuery } from './admin/admin.types';
import { BudgetAdmin } from './admin/budget-admin';
import { rankingKeys } from './admin/ranking-key';
import { BudgetEventBus } from './events/budget-event-bus';
import type { BudgetEvent, BudgetEventOf, BudgetEventType } from './events/budget-events';
import { BudgetNotifier } from './events/budget-notifier';
import { BudgetExceededException } from './budget-exceeded.exception';
import { admissionSummary, checkResult, exceededInfo, usageOf } from './admission/budget-figures';
import { CheckedEstimate, checkEstimate } from './admission/estimate-input';
import { tokensLeft } from './admission/room';
import { DEFAULT_INPUT_FACTOR, plausibleUsage } from './usage/plausible-usage';
import type { EstimateInput } from './estimation/usage-estimate';
import { CostCalculator } from './pricing/cost-calculator';
import { TokenBudgetOptionsError } from './token-budget-options.error';
import { InvalidSubjectError } from './invalid-subject.error';
import { validateOptions } from './options/validate-options';
import { isPromise, MaybePromise, then } from './maybe-promise';
import { nextReservationId } from './reservation-id';
import { escapeId, subjectTag } from './keys';
import { Reservation, ReservationSettler } from './reservation';
import { ResolvedRule, resolveRule } from './rules';
import { BudgetSubject, BudgetSubjectIds, idForScope, subjectIds } from './subject';
import {
  DEFAULT_KEY_PREFIX,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_CALL_DURATION_MS,
  DEFAULT_MAX_ID_LENGTH,
  DEFAULT_MAX_PENDING_SETTLEMENTS,
  DEFAULT_SETTLEMENT_FLUSH_MS,
  EXPIRY_MARGIN_MS,
  TOKEN_BUDGET_OPTIONS,
} from './token-budget.constants';
import { LeaseKeeper } from './settlement/lease-keeper';
import { PendingSettlement, SettlementRetryQueue } from './settlement/settlement-retry-queue';
import { InvalidUsageError } from './usage/invalid-usage.error';
import { nanosToUsd } from './pricing/money';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { BudgetRule } from './budget-rule.interface';
import { BudgetCounter, CommitRequest, CommitResult, ReleaseRequest, ReservationPolicy, ReserveResult, StorageAdapter } from './storage/storage-adapter.interface';
import { storageClock } from './storage/storage-clock';
import { readProviderUsage } from './usage/extract-usage';
import { normalizeUsageInput } from './usage/normalize-usage';
import type { Usage, UsageExtractor, UsageInput } from './usage/usage.interface';
import type { BudgetCheckResult, BudgetTarget, BudgetUsage, ResetOptions, ServiceCallOptions, TrackOptions } from './budget.types';
import type { BudgetRequest } from './budget-request';
import type { ResolvedTier } from './tiers/resolved-tier';
import { requestTier } from './tiers/request-tier';
import { TierResolver } from './tiers/tier.resolver';
import { TierRules } from './tiers/tier-rules';

/** Subjects whose counters are kept built per rule and period. */
const TARGET_CACHE_SIZE = 10_000;

/** Key of the hidden property that links a counter to its budget (for events). */
const COUNTER_TARGET = Symbol('tokenbudget.counterTarget');

/**
 * The one place that knows rules, periods and rollover. Use it directly for work outside HTTP
 * (queues, cron jobs, websockets); the guard and interceptor are thin adapters over it.
 */
@Injectable()
export class BudgetService implements ReservationSettler, OnModuleDestroy {
  private readonly logger = new Logger(BudgetService.name);
  private readonly rules: ResolvedRule[];
  private readonly prefix: string;
  /** @internal The time budgets go by: the storage's clock when it has one (Redis), else the module's `clock`. */
  readonly now: () => number;
  private readonly leaseMs: number;
  private readonly maxIdLength: number;
  private readonly warnedNoUsage = new Set<string>();
  private readonly targetCache = new WeakMap<ResolvedRule, { periodKey: string; byId: Map<string, BudgetTarget> }>();
  private readonly routeRules = new Map<string, ResolvedRule>();
  private readonly callRules = new WeakMap<BudgetRule, ResolvedRule>();
  private readonly tierRules = new TierRules();
  private readonly costs: CostCalculator;
  /** Admission events of reservations made with `announce: false`, until they are kept. */
  private readonly unannounced = new WeakMap<Reservation, () => void>();
  private readonly bus = new BudgetEventBus();
  private readonly notifier = new BudgetNotifier(this.bus);
  private readonly admin: BudgetAdmin;
  private readonly maxCallDurationMs: number;
  private readonly keeper: LeaseKeeper;
  private readonly retries: SettlementRetryQueue;

  constructor(
    @Inject(TOKEN_BUDGET_OPTIONS) readonly options: TokenBudgetModuleOptions,
    @Inject(StorageAdapter) readonly storage: StorageAdapter,
    @Optional() private readonly tiers?: TierResolver,
  ) {
    this.rules = (options.budgets ?? []).map((rule) => resolveRule(rule));
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.now = storageClock(storage) ?? options.clock ?? Date.now;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.maxIdLength = options.maxIdLength ?? DEFAULT_MAX_ID_LENGTH;
    this.maxCallDurationMs = options.maxCallDurationMs ?? DEFAULT_MAX_CALL_DURATION_MS;
    this.keeper = new LeaseKeeper(storage, () => this.now(), this.logger);
    this.retries = new SettlementRetryQueue(
      storage,
      () => this.now(),
      { maxPending: options.settlementRetry?.maxPending ?? DEFAULT_MAX_PENDING_SETTLEMENTS, minDelayMs: 100, maxDelayMs: 2_000 },
      this.logger,
    );
    this.costs = new CostCalculator({ pricing: options.pricing, defaultModel: options.defaultModel, costLimited: this.rules.some((rule) => rule.costLimit > 0) });
    this.admin = new BudgetAdmin({
      storage,
      prefix: this.prefix,
      now: () => this.now(),
      // a user's tier replaces limits and adds budgets: admin calls see the budgets its requests count on
      targets: async (subject, rules, now) => this.targets(idsResolver(subject), subjectIds(subject).feature, rules, now, await this.budgetTier(subjectIds(subject).user)),
      rules: () => [...this.rules, ...this.routeRules.values()],
      target: async (rule, id, now) => this.target(rule.scope === 'user' ? await this.ruleForUser(rule, id) : rule, id, now),
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
    this.keeper.stopAll();
    if (this.retries.size > 0) {
      const timeoutMs = this.options.settlementRetry?.flushTimeoutMs ?? DEFAULT_SETTLEMENT_FLUSH_MS;
      this.logger.warn(`Shutting down with ${this.retries.size} commits or releases waiting for storage; retrying them for up to ${timeoutMs} ms`);
      await this.retries.flush(timeoutMs, (entry) => this.settlementDropped(entry, new Error('shutdown came before storage took it')));
    }
    this.bus.complete();
  }

  /** Commits and releases waiting for storage to take them (see `settlementRetry`); a gauge for metrics. */
  get pendingSettlements(): number {
    return this.retries.size;
  }

  /** @internal Reservations whose leases are being renewed (calls still running). */
  get keptReservations(): number {
    return this.keeper.size;
  }

  /**
   * Whether a call of `estimate` (tokens, or `{ inputTokens, outputTokens, model }`) would be
   * admitted now, what it would cost, and the tightest budget's figures. Reserves nothing.
   */
  async check(subject: BudgetSubject, estimate: EstimateInput = 0, options: ServiceCallOptions = {}): Promise<BudgetCheckResult> {
    const checked = checkEstimate(estimate);
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const costNanos = this.costs.estimateCost(pricedEstimate(estimate, checked), now);
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    const states = await this.storage.read(targets.map((t) => t.counter), now);
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
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    return this.reserveTargets(targets, estimate, now, options.leaseMs, options.reservationPolicy);
  }

  /**
   * Reserves, runs `fn`, then commits the usage read from its result (or releases and rethrows
   * when it throws).
   */
  async track<T>(subject: BudgetSubject, fn: () => T | Promise<T>, options: TrackOptions<T> = {}): Promise<T> {
    const reservation = await this.reserve(subject, options.estimate ?? 0, options);
    this.keepReservation(reservation);
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await reservation.release();
      throw error;
    }
    try {
      await this.commitFromResult(reservation, result, options.usage as UsageExtractor | undefined, subjectIds(subject).feature ?? 'track');
    } catch (error) {
      // the call was made and paid for: its result is returned whatever happened to the bookkeeping
      this.logger.error(`Committing the usage of reservation ${reservation.id} failed: ${String(error)}`);
    }
    return result;
  }

  /** Counts usage that was not reserved beforehand (it may take a budget past its limit). */
  async record(subject: BudgetSubject, usage: UsageInput, options: ServiceCallOptions = {}): Promise<Usage> {
    const normalized = normalizeUsageInput(usage);
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    const cost = this.costs.usageCost(normalized, now);
    const id = nextReservationId();
    const counters = targets.map((t) => t.counter);
    this.afterCommit(id, counters, await this.storage.commit({ id, counters, amount: normalized.totalTokens, cost, now }), normalized, cost, normalized.model);
    return normalized;
  }

  /** Usage of each budget of the subject in its current period. */
  async getUsage(subject: BudgetSubject, options: ServiceCallOptions = {}): Promise<BudgetUsage[]> {
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    const states = await this.storage.read(targets.map((t) => t.counter), now);
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

  /** @internal True when any module or route budget has a token limit. */
  hasLimits(): boolean {
    const limited = (rule: ResolvedRule) => rule.tokens > 0 || rule.costLimit > 0;
    return this.rules.some(limited) || [...this.routeRules.values()].some(limited);
  }

  /**
   * @internal Registers the per-user budget of a `@TokenBudget()` route (found at boot), so the
   * service knows it too: `getUsage({ user, feature })` reports it, `check` and `reserve` apply it.
   * One feature has one route budget; two routes that share a feature must agree on it.
   */
  registerRouteRule(rule: BudgetRule & { feature: string }, where: string): void {
    const resolved = resolveRule(rule, this.options.routePeriod ?? 'month');
    const twin = this.rules.find((moduleRule) => moduleRule.identity === resolved.identity);
    if (twin) {
      throw new TokenBudgetOptionsError([
        `@TokenBudget() of ${where}: the module budget '${twin.name}' already counts the same tokens (user, feature '${rule.feature}', ${twin.periodLabel}); set the limit in one place`,
      ]);
    }
    const existing = this.routeRules.get(rule.feature);
    if (!existing) {
      this.routeRules.set(rule.feature, resolved);
      return;
    }
    if (existing.identity !== resolved.identity || existing.tokens !== resolved.tokens || existing.maxCarryover !== resolved.maxCarryover) {
      throw new TokenBudgetOptionsError([
        `@TokenBudget() of ${where}: feature '${rule.feature}' already has another route budget (${existing.tokens} tokens per ${existing.periodLabel}); routes that share a feature share its budget, so give them the same limit or different features`,
      ]);
    }
  }

  /**
   * @internal The budgets that apply to a call: the module rules plus `extra`, each with the id
   * `resolveId` gives it (rules whose id resolves to nothing do not apply).
   */
  targets(
    resolveId: (rule: ResolvedRule) => string | number | undefined | null,
    feature: string | undefined,
    extra: readonly BudgetRule[] | undefined,
    now: number,
    tier?: ResolvedTier,
  ): BudgetTarget[] {
    const extraRules = extra ? extra.map((rule) => this.callRule(rule)) : [];
    return this.targetsOf(this.rulesForTier(this.rulesFor(feature, extraRules), tier), feature, resolveId, now);
  }

  /**
   * @internal The tier whose budget overrides apply to a user: the one TierThrottlerGuard resolved
   * for the request, else the tier resolver's answer; `undefined` when no tier overrides budgets.
   */
  budgetTier(userId: unknown, req?: BudgetRequest): MaybePromise<ResolvedTier | undefined> {
    if (!this.tiers?.overridesBudgets) return undefined;
    const resolved = req === undefined ? undefined : requestTier(req);
    if (resolved) return resolved.userId === undefined ? undefined : resolved.tier;
    if (userId === undefined || userId === null || userId === '') return undefined;
    return this.tiers.resolve(String(userId), req);
  }

  /** `rule` (of scope `user`) with the limit of the user's tier. */
  private async ruleForUser(rule: ResolvedRule, userId: string): Promise<ResolvedRule> {
    const tier = await this.budgetTier(userId);
    return tier ? this.tierRules.apply([rule], tier)[0] : rule;
  }

  /** @internal `rules` with the limits of `tier` (the same rules without one). */
  rulesForTier(rules: readonly ResolvedRule[], tier: ResolvedTier | undefined): readonly ResolvedRule[] {
    return tier ? this.tierRules.apply(rules, tier) : rules;
  }

  /**
   * @internal The rules that apply to calls of `feature`, in admission order: the module's, the
   * feature's route budget, then those of `extra` that count another counter.
   */
  rulesFor(feature: string | undefined, extra: readonly ResolvedRule[]): ResolvedRule[] {
    const route = feature === undefined ? undefined : this.routeRules.get(feature);
    const rules: ResolvedRule[] = [];
    const seen = new Set<string>();
    for (const rule of [...this.rules, ...(route ? [route] : []), ...extra]) {
      if ((rule.feature !== undefined && rule.feature !== feature) || seen.has(rule.identity)) continue;
      seen.add(rule.identity);
      rules.push(rule);
    }
    return rules;
  }

  /** A rule passed to one service call: validated and resolved once per rule object. */
  private callRule(rule: BudgetRule): ResolvedRule {
    let resolved = this.callRules.get(rule);
    if (!resolved) {
      validateOptions({ budgets: [rule] });
      this.callRules.set(rule, (resolved = resolveRule(rule)));
    }
    return resolved;
  }

  /** @internal The budgets of `rules` (already chosen for the feature), each with the id `resolveId` gives it. */
  targetsOf(
    rules: readonly ResolvedRule[],
    feature: string | undefined,
    resolveId: (rule: ResolvedRule) => string | number | undefined | null,
    now: number,
  ): BudgetTarget[] {
    const targets: BudgetTarget[] = [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const raw = rule.scope === 'feature' ? feature : resolveId(rule);
      if (raw !== undefined && raw !== null && raw !== '') targets.push(this.target(rule, this.checkedId(rule.scope, raw), now));
    }
    return targets;
  }

  /**
   * The counter of one rule and id in the period of `now`. Built once per subject and period and
   * kept in a bounded per-rule cache: key building (escaping, concatenation) is off the hot path.
   */
  private target(rule: ResolvedRule, id: string, now: number): BudgetTarget {
    const window = rule.calculator.window(now);
    let cache = this.targetCache.get(rule);
    if (!cache || cache.periodKey !== window.key || cache.byId.size >= TARGET_CACHE_SIZE) {
      cache = { periodKey: window.key, byId: new Map() };
      this.targetCache.set(rule, cache);
    }
    const cached = cache.byId.get(id);
    if (cached) return cached;
    const tag = subjectTag(this.prefix, rule.scope, id);
    const base = `${tag}${rule.feature !== undefined ? `:f:${escapeId(rule.feature)}` : ''}`;
    const counter: BudgetCounter = {
      key: `${base}:${window.key}${rule.zoneSuffix}`,
      previousKey: rule.maxCarryover > 0 && window.previousKey !== undefined ? `${base}:${window.previousKey}${rule.zoneSuffix}` : undefined,
      limit: rule.tokens,
      costLimit: rule.costLimit,
      maxCarryover: rule.maxCarryover,
      expireAt: window.keepUntil + EXPIRY_MARGIN_MS,
      override: { key: `${tag}:limits`, field: rule.identity },
      index: { ...rankingKeys(this.prefix, rule, window.key), member: id },
      ...(rule.thresholds.length ? { thresholds: rule.thresholds } : {}),
      ...(rule.soft ? { soft: true } : {}),
    };
    const target: BudgetTarget = { rule, id, counter, periodKey: window.key, resetAt: window.end };
    cache.byId.set(id, target);
    // the budget a counter belongs to, for events; a hidden property rather than a WeakMap, whose
    // table V8 keeps at its largest size after a million subjects' counters are gone
    Object.defineProperty(counter, COUNTER_TARGET, { value: target });
    return target;
  }

  /** @internal Synchronous when the storage is (MemoryAdapter). */
  reserveTargets(
    targets: BudgetTarget[],
    estimate: EstimateInput,
    now: number,
    leaseMs = this.leaseMs,
    policy: ReservationPolicy = this.options.reservationPolicy ?? 'strict',
    announce = true,
  ): MaybePromise<Reservation> {
    const checked = checkEstimate(estimate);
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer (ms), got ${String(leaseMs)}`);
    if (!Number.isFinite(now)) throw new RangeError(`the clock returned ${String(now)}, not a time in ms`);
    if (policy !== 'strict' && policy !== 'clamp') throw new RangeError(`reservationPolicy must be 'strict' or 'clamp', got ${String(policy)}`);
    const cost = this.costs.estimateCost(pricedEstimate(estimate, checked), now);
    const id = nextReservationId();
    const counters = targets.map((t) => t.counter);
    return then(this.storage.reserve({ id, counters, amount: checked.tokens, cost, policy, leaseUntil: now + leaseMs, now }), (result) =>
      this.toReservation(result, targets, counters, id, checked, cost, now, announce, leaseMs),
    );
  }

  /**
   * @internal Emits the admission events of a reservation made with `announce: false`, once it is
   * kept (a hold that is released and made again must not warn twice, nor warn for a call refused).
   */
  announceAdmission(reservation: Reservation): void {
    const pending = this.unannounced.get(reservation);
    this.unannounced.delete(reservation);
    pending?.();
  }

  /**
   * @internal Tokens the tightest limited budget of `targets` has left now (`Infinity` when none is
   * limited); a read that holds nothing, for fair holds.
   */
  tokensLeft(targets: readonly BudgetTarget[], now: number): MaybePromise<number> {
    if (targets.every((target) => target.rule.soft)) return Infinity;
    return then(this.storage.read(targets.map((target) => target.counter), now), (states) => tokensLeft(targets, states));
  }

  /** @internal The multiple of a counted prompt past which reported input is clamped; `undefined` with `plausibleUsage: false`. */
  inputFactor(): number | undefined {
    const plausible = this.options.plausibleUsage;
    return plausible === false ? undefined : (plausible?.inputFactor ?? DEFAULT_INPUT_FACTOR);
  }

  /** @internal An estimate's price in nano-dollars, as a reservation of it would hold (0 when it cannot be priced). */
  priceEstimate(estimate: EstimateInput, now: number): number {
    return this.costs.estimateCost(pricedEstimate(estimate, checkEstimate(estimate)), now);
  }

  private toReservation(
    result: ReserveResult,
    targets: BudgetTarget[],
    counters: BudgetCounter[],
    id: string,
    estimate: CheckedEstimate,
    cost: number,
    now: number,
    announce: boolean,
    leaseMs: number,
  ): Reservation {
    if (!result.admitted) {
      const info = exceededInfo(targets[result.index], result.state, { tokens: estimate.tokens, costNanos: cost }, now, result.dimension);
      this.notifier.rejected(targets[result.index], result.state, info, result.dimension, estimate.tokens);
      throw new BudgetExceededException(info);
    }
    const hold = { tokens: result.held, costNanos: result.heldCost, estimateCostNanos: cost, model: estimate.model, feesNanos: estimate.feesNanos, leaseMs };
    const reservation = new Reservation(id, estimate.tokens, counters, admissionSummary(targets, result.states), this, hold);
    const admitted = () => this.notifier.admitted(targets, result.states, result.held, result.heldCost);
    if (announce) admitted();
    else this.unannounced.set(reservation, admitted);
    return reservation;
  }

  /**
   * @internal Commits the usage read from a handler result; when the result carries none, or
   * carries malformed usage, logs it and commits the estimate instead.
   */
  commitFromResult(reservation: Reservation, result: unknown, extractor: UsageExtractor | undefined, where: string): MaybePromise<Usage> {
    let usage: Usage | undefined;
    let absent = false;
    extractor ??= this.options.usage;
    try {
      if (extractor) {
        const custom = extractor(result);
        if (custom !== undefined) usage = normalizeUsageInput(custom);
        else absent = true;
      } else {
        const reading = readProviderUsage(result);
        if (reading.kind === 'usage') usage = reading.usage;
        else if (reading.kind === 'none') absent = true;
        else this.logger.warn(`Malformed usage in the result of ${where} (${reading.reason}); committed the estimate of ${reservation.estimate} tokens`);
      }
    } catch (error) {
      this.logger.warn(`Reading usage of ${where} failed (${error instanceof Error ? error.message : String(error)}); committed the estimate of ${reservation.estimate} tokens`);
    }
    if (absent && !this.warnedNoUsage.has(where)) {
      this.warnedNoUsage.add(where);
      this.logger.warn(`The result of ${where} carries no usage; its estimate is committed (set a usage function to read it)`);
    }
    return this.commitReservation(reservation, usage);
  }

  /** @internal */
  commitReservation(reservation: Reservation, input: UsageInput | undefined): MaybePromise<Usage> {
    // implausible reports are clamped here, before storage sees them (undefined: the estimate is charged)
    const reported = input === undefined ? undefined : this.plausible(reservation, normalizeUsageInput(input));
    const usage = reported === undefined ? estimatedUsage(reservation.estimate) : reported;
    const now = this.now();
    // usage that names no model is priced as the estimate's model; an estimate committed as is costs what it was priced at
    // per-call fees held with the estimate are charged with the usage as they were held
    const cost = reported === undefined ? reservation.hold.estimateCostNanos : this.costs.usageCost(usage.model === undefined && reservation.model ? { ...usage, model: reservation.model } : usage, now) + (reservation.hold.feesNanos ?? 0);
    reservation.markCommitting();
    const request: CommitRequest = { id: reservation.id, counters: reservation.counters, amount: usage.totalTokens, cost, now };
    const landed = (result: CommitResult | void) => {
      reservation.markCommitted();
      this.keeper.stop(reservation);
      this.afterCommit(reservation.id, reservation.counters, result, usage, cost, usage.model ?? reservation.model);
    };
    let pending: MaybePromise<CommitResult | void>;
    try {
      pending = this.storage.commit(request);
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
    this.logger.warn(
      `Implausible usage reported for reservation ${reservation.id} (${reasons.join(', ')}): input ${reported.inputTokens}, output ${reported.outputTokens}, total ${reported.totalTokens}; ` +
        `bounds input ${bounds.inputTokens ?? 'none'}, output ${bounds.outputTokens ?? 'none'}; charged ${charged.totalTokens} tokens`,
    );
    if (this.bus.observed) {
      try {
        this.bus.emit({ type: 'usage_anomaly', reservationId: reservation.id, reasons, reported, charged, bounds });
      } catch (error) {
        this.logger.error(`Emitting the usage_anomaly event of ${reservation.id} failed: ${String(error)}`);
      }
    }
    return usage;
  }

  /**
   * A commit storage did not take: kept and retried with the same id (the reservation stays
   * `committing`, its lease renewed, until it lands); refused input, or a full queue, fails as before.
   */
  private commitFailed(reservation: Reservation, request: CommitRequest, landed: (result: CommitResult | void) => void, error: unknown, usage: Usage): Usage {
    const retriable = !(error instanceof InvalidUsageError) && !(error instanceof RangeError);
    const entry: PendingSettlement = {
      kind: 'commit',
      request,
      attempts: 0,
      landed: (result) => {
        landed(result);
        this.settlementEvent('landed', entry);
      },
    };
    if (retriable && this.retries.add(entry)) {
      this.logger.warn(
        `Storage did not take the commit of reservation ${request.id} (${request.amount} tokens, ${nanosToUsd(request.cost)} USD); kept and retried until it does (${this.retries.size} pending): ${String(error)}`,
      );
      this.settlementEvent('queued', entry, error);
      return usage;
    }
    reservation.markCommitted();
    this.keeper.stop(reservation);
    if (retriable) this.settlementDropped(entry, error);
    throw error;
  }

  private settlementDropped(entry: PendingSettlement, error: unknown): void {
    const { request } = entry;
    const figures = entry.kind === 'commit' ? ` (${(request as CommitRequest).amount} tokens, ${nanosToUsd((request as CommitRequest).cost)} USD, counters ${request.counters.map((c) => c.key).join(' ')})` : '';
    this.logger.error(`The ${entry.kind} of reservation ${request.id}${figures} was not stored and is dropped: ${String(error)}`);
    this.settlementEvent('dropped', entry, error);
  }

  private settlementEvent(action: 'queued' | 'landed' | 'dropped', entry: PendingSettlement, error?: unknown): void {
    if (!this.bus.observed) return;
    const commit = entry.kind === 'commit' ? (entry.request as CommitRequest) : undefined;
    this.bus.emit({
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

  /** Events of a commit; a failure to build them never fails the commit. */
  private afterCommit(id: string, counters: readonly BudgetCounter[], result: CommitResult | void, usage: Usage, cost: number, model: string | undefined): void {
    if (!result || !this.bus.observed) return;
    try {
      this.notifier.committed(id, counters.map((c) => (c as { [COUNTER_TARGET]?: BudgetTarget })[COUNTER_TARGET]), result, usage, { cost, model });
    } catch (error) {
      this.logger.error(`Emitting the events of commit ${id} failed: ${String(error)}`);
    }
  }

  /** @internal */
  releaseReservation(reservation: Reservation): MaybePromise<void> {
    this.keeper.stop(reservation);
    const request: ReleaseRequest = { id: reservation.id, counters: reservation.counters, now: this.now() };
    let pending: MaybePromise<void>;
    try {
      pending = this.storage.release(request);
    } catch (error) {
      return this.releaseFailed(request, error);
    }
    return isPromise(pending) ? pending.catch((error: unknown) => this.releaseFailed(request, error)) : pending;
  }

  /** A release storage did not take: retried like a commit (else its hold lapses with its lease). */
  private releaseFailed(request: ReleaseRequest, error: unknown): void {
    const entry: PendingSettlement = { kind: 'release', request, attempts: 0, landed: () => this.settlementEvent('landed', entry) };
    if (!this.retries.add(entry)) throw error;
    this.logger.warn(`Storage did not take the release of reservation ${request.id}; kept and retried until it does: ${String(error)}`);
    this.settlementEvent('queued', entry, error);
  }

  /** @internal Renews the reservation's lease while its call runs (see `leaseMs`), for at most `maxCallDurationMs`. */
  keepReservation(reservation: Reservation, maxCallDurationMs = this.maxCallDurationMs): void {
    this.keeper.keep(reservation, reservation.hold.leaseMs ?? this.leaseMs, maxCallDurationMs);
  }

  /** @internal The module's longest call (0 = no limit). */
  get callDurationLimitMs(): number {
    return this.maxCallDurationMs;
  }

  private checkedId(scope: string, raw: string | number): string {
    const id = String(raw);
    if (id.length > this.maxIdLength) {
      throw InvalidSubjectError.create(scope, `it is ${id.length} characters long, more than maxIdLength (${this.maxIdLength})`);
    }
    return id;
  }
}

function idsResolver(subject: BudgetSubject): (rule: ResolvedRule) => string | number | undefined {
  const ids: BudgetSubjectIds = subjectIds(subject);
  return (rule) => idForScope(ids, rule.scope);
}

function estimatedUsage(tokens: number): Usage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: tokens, estimated: true };
}

/** The estimate as the calculator prices it: a bare count, or its split with the model. */
function pricedEstimate(estimate: EstimateInput, checked: CheckedEstimate): EstimateInput {
  return typeof estimate === 'number' ? estimate : { inputTokens: estimate.inputTokens, outputTokens: estimate.outputTokens, model: checked.model, feesUsd: estimate.feesUsd };
}
