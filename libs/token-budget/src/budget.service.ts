import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { BudgetExceededException, BudgetExceededInfo } from './budget-exceeded.exception';
import { InvalidSubjectError, TokenBudgetOptionsError } from './errors';
import { validateOptions } from './options/validate-options';
import { isPromise, MaybePromise, then } from './maybe-promise';
import { nextReservationId } from './reservation-id';
import { escapeId, subjectTag } from './keys';
import { AdmissionSummary, Reservation, ReservationSettler } from './reservation';
import { ResolvedRule, resolveRule } from './rules';
import { BudgetSubject, BudgetSubjectIds, idForScope, subjectIds } from './subject';
import { DEFAULT_KEY_PREFIX, DEFAULT_LEASE_MS, DEFAULT_MAX_ID_LENGTH, EXPIRY_MARGIN_MS, TOKEN_BUDGET_OPTIONS } from './token-budget.constants';
import type { BudgetRule, TokenBudgetModuleOptions } from './token-budget-options.interface';
import { BudgetCounter, CounterState, ReserveResult, StorageAdapter } from './storage/storage-adapter.interface';
import { readProviderUsage } from './usage/extract-usage';
import { InvalidUsageError } from './usage/invalid-usage.error';
import { normalizeUsageInput } from './usage/normalize-usage';
import type { Usage, UsageExtractor, UsageInput } from './usage/usage.interface';
import type { BudgetCheckResult, BudgetTarget, BudgetUsage, ResetOptions, ServiceCallOptions, TrackOptions } from './budget.types';
import type { BudgetRequest, BudgetScope } from './token-budget-options.interface';
import type { ResolvedTier } from './tiers/resolved-tier';
import { requestTier } from './tiers/request-tier';
import { TierResolver } from './tiers/tier.resolver';
import { TierRules } from './tiers/tier-rules';

const OWN_SCOPES = ['user', 'tenant', 'key', 'session'] as const;
/** Subjects whose counters are kept built per rule and period. */
const TARGET_CACHE_SIZE = 10_000;

/**
 * The one place that knows rules, periods and rollover. Use it directly for work outside HTTP
 * (queues, cron jobs, websockets); the guard and interceptor are thin adapters over it.
 */
@Injectable()
export class BudgetService implements ReservationSettler {
  private readonly logger = new Logger(BudgetService.name);
  private readonly rules: ResolvedRule[];
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly maxIdLength: number;
  private readonly warnedNoUsage = new Set<string>();
  private readonly targetCache = new WeakMap<ResolvedRule, { periodKey: string; byId: Map<string, BudgetTarget> }>();
  private readonly routeRules = new Map<string, ResolvedRule>();
  private readonly callRules = new WeakMap<BudgetRule, ResolvedRule>();
  private readonly tierRules = new TierRules();

  constructor(
    @Inject(TOKEN_BUDGET_OPTIONS) readonly options: TokenBudgetModuleOptions,
    @Inject(StorageAdapter) readonly storage: StorageAdapter,
    @Optional() private readonly tiers?: TierResolver,
  ) {
    this.rules = (options.budgets ?? []).map((rule) => resolveRule(rule));
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.now = options.clock ?? Date.now;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.maxIdLength = options.maxIdLength ?? DEFAULT_MAX_ID_LENGTH;
  }

  /** Whether a call of `estimate` tokens would be admitted now, and the tightest budget's figures. Reserves nothing. */
  async check(subject: BudgetSubject, estimate = 0, options: ServiceCallOptions = {}): Promise<BudgetCheckResult> {
    assertTokenCount(estimate, 'estimate');
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    const states = await this.storage.read(targets.map((t) => t.counter), now);
    let tightest: { target: BudgetTarget; state: CounterState; remaining: number } | undefined;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (target.rule.tokens <= 0) continue;
      const remaining = remainingOf(target, states[i]);
      if (estimate > 0 ? estimate > remaining : remaining <= 0) {
        const info = this.exceededInfo(target, states[i], estimate, now);
        return { allowed: false, reason: info.reason, scope: info.scope, used: info.used, limit: info.limit, remaining: info.remaining, resetAt: info.resetAt };
      }
      if (!tightest || remaining < tightest.remaining) tightest = { target, state: states[i], remaining };
    }
    if (!tightest) return { allowed: true, used: 0, limit: 0, remaining: Infinity, resetAt: null };
    return {
      allowed: true,
      used: tightest.state.used,
      limit: tightest.target.rule.tokens + tightest.state.carryover,
      remaining: tightest.remaining,
      resetAt: resetOf(tightest.target),
    };
  }

  /**
   * Holds `estimate` tokens on every budget of the subject, atomically: all or none. Throws
   * {@link BudgetExceededException} when any budget cannot take it.
   *
   * @example
   * const reservation = await budgets.reserve('user-42', 1_200);
   * try { const result = await llm.call(); await reservation.commit(result.usage.total_tokens); }
   * catch (error) { await reservation.release(); throw error; }
   */
  async reserve(subject: BudgetSubject, estimate: number, options: ServiceCallOptions = {}): Promise<Reservation> {
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    return this.reserveTargets(this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier), estimate, now, options.leaseMs);
  }

  /**
   * Reserves, runs `fn`, then commits the usage read from its result (or releases and rethrows
   * when it throws).
   */
  async track<T>(subject: BudgetSubject, fn: () => T | Promise<T>, options: TrackOptions<T> = {}): Promise<T> {
    const reservation = await this.reserve(subject, options.estimate ?? 0, options);
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
      this.logger.error(`Committing the usage of reservation ${reservation.id} failed; its lease will release it: ${String(error)}`);
    }
    return result;
  }

  /** Counts usage that was not reserved beforehand (it may take a budget past its limit). */
  async record(subject: BudgetSubject, usage: UsageInput, options: ServiceCallOptions = {}): Promise<Usage> {
    const normalized = normalizeUsageInput(usage);
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    await this.storage.commit({ id: nextReservationId(), counters: targets.map((t) => t.counter), amount: normalized.totalTokens, now });
    return normalized;
  }

  /** Usage of each budget of the subject in its current period. */
  async getUsage(subject: BudgetSubject, options: ServiceCallOptions = {}): Promise<BudgetUsage[]> {
    const tier = await this.budgetTier(subjectIds(subject).user);
    const now = this.now();
    const targets = this.targets(idsResolver(subject), subjectIds(subject).feature, options.rules, now, tier);
    const states = await this.storage.read(targets.map((t) => t.counter), now);
    return targets.map((target, i) => {
      const { rule } = target;
      const state = states[i];
      const limited = rule.tokens > 0;
      return {
        name: rule.name,
        scope: rule.scope,
        id: target.id,
        ...(rule.feature ? { feature: rule.feature } : {}),
        period: target.periodKey,
        used: state.used,
        reserved: state.reserved,
        limit: rule.tokens,
        carryover: state.carryover,
        effectiveLimit: limited ? rule.tokens + state.carryover : 0,
        remaining: limited ? remainingOf(target, state) : Infinity,
        resetAt: resetOf(target),
      };
    });
  }

  /**
   * Deletes usage and reservations of the current period on the subject's own budgets (the scopes
   * it names: `user`, `tenant`, `key`, `session`), or on the `scopes` given (e.g. `['global']`).
   */
  async reset(subject: BudgetSubject, options: ResetOptions = {}): Promise<void> {
    const ids = subjectIds(subject);
    const scopes: readonly BudgetScope[] = options.scopes ?? OWN_SCOPES.filter((scope) => ids[scope] !== undefined);
    const targets = this.targets(idsResolver(subject), ids.feature, options.rules, this.now(), await this.budgetTier(ids.user));
    await this.storage.delete(targets.filter((t) => scopes.includes(t.rule.scope)).map((t) => t.counter.key));
  }

  /** @internal True when any module or route budget has a token limit. */
  hasLimits(): boolean {
    return this.rules.some((rule) => rule.tokens > 0) || [...this.routeRules.values()].some((rule) => rule.tokens > 0);
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
    const base = `${subjectTag(this.prefix, rule.scope, id)}${rule.feature !== undefined ? `:f:${escapeId(rule.feature)}` : ''}`;
    const counter: BudgetCounter = {
      key: `${base}:${window.key}${rule.zoneSuffix}`,
      previousKey: rule.maxCarryover > 0 && window.previousKey !== undefined ? `${base}:${window.previousKey}${rule.zoneSuffix}` : undefined,
      limit: rule.tokens,
      maxCarryover: rule.maxCarryover,
      expireAt: window.keepUntil + EXPIRY_MARGIN_MS,
    };
    const target: BudgetTarget = { rule, id, counter, periodKey: window.key, resetAt: window.end };
    cache.byId.set(id, target);
    return target;
  }

  /** @internal Synchronous when the storage is (MemoryAdapter). */
  reserveTargets(targets: BudgetTarget[], estimate: number, now: number, leaseMs = this.leaseMs): MaybePromise<Reservation> {
    assertTokenCount(estimate, 'estimate');
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer (ms), got ${String(leaseMs)}`);
    if (!Number.isFinite(now)) throw new RangeError(`the clock returned ${String(now)}, not a time in ms`);
    const id = nextReservationId();
    const counters = targets.map((t) => t.counter);
    return then(this.storage.reserve({ id, counters, amount: estimate, leaseUntil: now + leaseMs, now }), (result) =>
      this.toReservation(result, targets, counters, id, estimate, now),
    );
  }

  private toReservation(result: ReserveResult, targets: BudgetTarget[], counters: BudgetCounter[], id: string, estimate: number, now: number): Reservation {
    if (!result.admitted) {
      throw new BudgetExceededException(this.exceededInfo(targets[result.index], result.state, estimate, now));
    }
    let summary: AdmissionSummary | undefined;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (target.rule.tokens <= 0) continue;
      const remaining = remainingOf(target, result.states[i]);
      if (!summary || remaining < summary.remaining) {
        summary = { limit: target.rule.tokens + result.states[i].carryover, remaining, resetAt: resetOf(target) };
      }
    }
    return new Reservation(id, estimate, counters, summary, this);
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
    const usage = input === undefined ? estimatedUsage(reservation.estimate) : normalizeUsageInput(input);
    reservation.markCommitting();
    let pending: MaybePromise<void>;
    try {
      pending = this.storage.commit({ id: reservation.id, counters: reservation.counters, amount: usage.totalTokens, now: this.now() });
    } catch (error) {
      reservation.markCommitted();
      throw error;
    }
    if (!isPromise(pending)) {
      reservation.markCommitted();
      return usage;
    }
    return pending.then(
      () => {
        reservation.markCommitted();
        return usage;
      },
      (error: unknown) => {
        reservation.markCommitted();
        throw error;
      },
    );
  }

  /** @internal */
  releaseReservation(reservation: Reservation): MaybePromise<void> {
    return this.storage.release({ id: reservation.id, counters: reservation.counters, now: this.now() });
  }

  private checkedId(scope: string, raw: string | number): string {
    const id = String(raw);
    if (id.length > this.maxIdLength) {
      throw InvalidSubjectError.create(scope, `it is ${id.length} characters long, more than maxIdLength (${this.maxIdLength})`);
    }
    return id;
  }

  private exceededInfo(target: BudgetTarget, state: CounterState, requested: number, now: number): BudgetExceededInfo {
    const limit = target.rule.tokens + state.carryover;
    const resetAt = resetOf(target);
    return {
      reason: `${target.rule.scope}_token_limit_exceeded`,
      scope: target.rule.scope,
      id: target.id,
      ...(target.rule.feature ? { feature: target.rule.feature } : {}),
      used: state.used,
      reserved: state.reserved,
      limit,
      remaining: Math.max(0, limit - state.used - state.reserved),
      requested,
      resetAt,
      retryAfterSeconds: resetAt ? Math.max(1, Math.ceil((resetAt.getTime() - now) / 1000)) : null,
    };
  }
}

function idsResolver(subject: BudgetSubject): (rule: ResolvedRule) => string | number | undefined {
  const ids: BudgetSubjectIds = subjectIds(subject);
  return (rule) => idForScope(ids, rule.scope);
}

function remainingOf(target: BudgetTarget, state: CounterState): number {
  return Math.max(0, target.rule.tokens + state.carryover - state.used - state.reserved);
}

function resetOf(target: BudgetTarget): Date | null {
  return Number.isFinite(target.resetAt) ? new Date(target.resetAt) : null;
}

function estimatedUsage(tokens: number): Usage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: tokens, estimated: true };
}

function assertTokenCount(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw InvalidUsageError.create(`${name} is ${typeof value === 'number' ? value : JSON.stringify(value)}, expected a non-negative integer`);
  }
}
