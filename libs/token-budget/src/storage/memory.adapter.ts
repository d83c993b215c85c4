import { OnModuleDestroy } from '@nestjs/common';
import { assertStorable } from './checked-amounts';
import {
  BudgetCounter,
  CommitRequest,
  CommitResult,
  CounterState,
  CrossedThreshold,
  GrantRequest,
  IndexEntry,
  ListRequest,
  ReleaseRequest,
  RenewRequest,
  ReserveRequest,
  ReserveResult,
  SetLimitRequest,
  StorageAdapter,
} from './storage-adapter.interface';
import { MemoryRankings } from './memory-rankings';
import { MemoryRateWindow } from './memory-rate-window';
import type { RateHit, RateHitRequest, RateWindowStore } from './rate-window.interface';
import { saturated } from './checked-amounts';

/** A subject's limit overrides for one rule. */
interface Override {
  tokens?: number;
  cost?: number;
}

interface Lease {
  amount: number;
  cost: number;
  until: number;
}

interface MemoryRecord {
  used: number;
  reserved: number;
  /** Limit seen at the last write, read by the next period's rollover. */
  limit: number;
  carryover: number;
  costUsed: number;
  costReserved: number;
  /** Cost limit seen at the last write (for reports). */
  costLimit: number;
  requests: number;
  granted: number;
  costGranted: number;
  /** Thresholds already reported this period (`t:0.8`, `c:0.8`). */
  crossed: Set<string> | undefined;
  leases: Map<string, Lease>;
  /** Earliest lease end, so lapsed leases are looked for only when one can have lapsed. */
  nextLeaseEnd: number;
  expireAt: number;
}

export interface MemoryAdapterOptions {
  /**
   * How often records of ended periods are swept out of memory, in ms.
   * @default 60_000
   */
  sweepIntervalMs?: number;
}

/**
 * In-process storage, the default. Atomic because every operation runs synchronously on the one
 * event loop (and answers synchronously, so admission adds no Promise to a request); correct for a single app instance only (use {@link RedisAdapter} for several).
 *
 * Records of ended periods are dropped by one unref()-ed sweep timer rather than a timer per key:
 * periods last up to a month (beyond setTimeout's range) and a timer per subject would cost far
 * more memory at a million subjects than one sweep does.
 */
export class MemoryAdapter implements StorageAdapter, RateWindowStore, OnModuleDestroy {
  private readonly records = new Map<string, MemoryRecord>();
  /** Limit overrides: hash key -> field -> limits. Kept until removed. */
  private readonly overrides = new Map<string, Map<string, Override>>();
  private readonly rankings = new MemoryRankings();
  private readonly sweepTimer: NodeJS.Timeout;
  /** Tier rate windows, made at the first hit (an app without tiers keeps no second timer). */
  private rateWindows: MemoryRateWindow | undefined;
  /** Latest time an operation was given: sweeps go by the app's clock, not the machine's. */
  private latestNow = 0;

  constructor(options: MemoryAdapterOptions = {}) {
    this.sweepTimer = setInterval(() => this.sweep(this.latestNow), options.sweepIntervalMs ?? 60_000);
    this.sweepTimer.unref();
  }

  /** Number of records held (for tests and metrics). */
  get size(): number {
    return this.records.size;
  }

  reserve({ id, counters, amount, cost, policy, leaseUntil, now }: ReserveRequest): ReserveResult {
    assertStorable({ amount, cost });
    this.seen(now);
    const clamp = policy === 'clamp';
    let held = amount;
    let heldCost = cost;
    const records: (MemoryRecord | undefined)[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i];
      const record = (records[i] = this.live(counter.key, now));
      if (record) this.setLimits(record, counter);
      if (counter.soft) continue;
      const limits = record ?? this.limitsOf(counter);
      if (limits.limit <= 0 && limits.costLimit <= 0) continue;
      const state = record ? stateOf(record) : this.emptyState(counter, now);
      const limit = state.limit as number;
      const costLimit = state.costLimit as number;
      if (limit > 0) {
        const room = saturated(limit + state.carryover + (state.granted as number)) - state.used - state.reserved;
        if (clamp || amount <= 0 ? room <= 0 : amount > room) return { admitted: false, index: i, dimension: 'tokens', state };
        if (room < held) held = room;
      }
      if (costLimit > 0) {
        const room = saturated(costLimit + (state.costGranted as number)) - state.costUsed - state.costReserved;
        if (clamp || cost <= 0 ? room <= 0 : cost > room) return { admitted: false, index: i, dimension: 'cost', state };
        if (room < heldCost) heldCost = room;
      }
    }
    const states: CounterState[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const record = records[i] ?? this.create(counters[i], now);
      this.setLimits(record, counters[i]);
      if (held > 0 || heldCost > 0) {
        record.reserved += held;
        record.costReserved += heldCost;
        record.leases.set(id, { amount: held, cost: heldCost, until: leaseUntil });
        if (leaseUntil < record.nextLeaseEnd) record.nextLeaseEnd = leaseUntil;
      }
      states[i] = stateOf(record);
    }
    return { admitted: true, states, held, heldCost };
  }

  commit({ id, counters, amount, cost, now }: CommitRequest): CommitResult {
    assertStorable({ amount, cost });
    this.seen(now);
    const states: CounterState[] = new Array(counters.length);
    const crossed: CrossedThreshold[][] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i];
      crossed[i] = [];
      if (counter.expireAt <= now) {
        // a commit later than the record's life: no budget reads it any more
        states[i] = { ...this.emptyState(counter, now), carryover: 0 };
        continue;
      }
      const record = this.touch(counter, now);
      this.dropLease(record, id);
      record.used = saturated(record.used + amount);
      record.costUsed = saturated(record.costUsed + cost);
      record.requests = saturated(record.requests + 1);
      if (counter.index) {
        this.rankings.set(counter.index.key, counter.index.member, record.used, counter.expireAt);
        this.rankings.set(counter.index.costKey, counter.index.member, record.costUsed, counter.expireAt);
      }
      if (counter.thresholds?.length) crossed[i] = this.cross(record, counter.thresholds);
      states[i] = stateOf(record);
    }
    return { states, crossed };
  }

  grant({ counters, tokens, cost, now }: GrantRequest): CounterState[] {
    assertStorable({ amount: tokens, cost });
    this.seen(now);
    return counters.map((counter) => {
      const record = this.touch(counter, now);
      record.granted = saturated(record.granted + tokens);
      record.costGranted = saturated(record.costGranted + cost);
      return stateOf(record);
    });
  }

  setLimit({ key, field, tokens, cost }: SetLimitRequest): void {
    let fields = this.overrides.get(key);
    if (!fields) this.overrides.set(key, (fields = new Map()));
    const override = { ...fields.get(field) };
    if (tokens === null) delete override.tokens;
    else if (tokens !== undefined) override.tokens = tokens;
    if (cost === null) delete override.cost;
    else if (cost !== undefined) override.cost = cost;
    if (override.tokens === undefined && override.cost === undefined) fields.delete(field);
    else fields.set(field, override);
    if (fields.size === 0) this.overrides.delete(key);
  }

  list({ key, limit, now }: ListRequest): IndexEntry[] {
    return this.rankings.top(key, limit, now);
  }

  unindex(entries: { key: string; costKey: string; member: string }[]): void {
    for (const { key, costKey, member } of entries) {
      this.rankings.remove(key, member);
      this.rankings.remove(costKey, member);
    }
  }

  /**
   * Moves the lease of a live reservation. (Commits are not remembered by id here: a commit on
   * memory runs synchronously, so it never has to be retried.)
   */
  renew({ id, counters, leaseUntil, now }: RenewRequest): boolean {
    let held = false;
    for (const counter of counters) {
      const lease = this.live(counter.key, now)?.leases.get(id);
      if (!lease) continue;
      held = true;
      if (leaseUntil > lease.until) lease.until = leaseUntil;
    }
    return held;
  }

  release({ id, counters, now }: ReleaseRequest): void {
    for (const counter of counters) {
      const record = this.live(counter.key, now);
      if (record) this.dropLease(record, id);
    }
  }

  read(counters: BudgetCounter[], now: number): CounterState[] {
    return counters.map((counter) => {
      const record = this.live(counter.key, now);
      if (!record) return this.emptyState(counter, now);
      this.setLimits(record, counter);
      return stateOf(record);
    });
  }

  delete(keys: string[]): void {
    for (const key of keys) this.records.delete(key);
  }

  /** Counts a request against a rate window of this process (tier rate limits). Synchronous. */
  hit(request: RateHitRequest): RateHit {
    return (this.rateWindows ??= new MemoryRateWindow()).hit(request);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
    this.rateWindows?.close();
  }

  /** Drops every record whose period (and rollover window) has ended by `now` (app clock). */
  sweep(now: number): void {
    for (const [key, record] of this.records) if (record.expireAt <= now) this.records.delete(key);
    this.rankings.sweep(now);
  }

  /** The limits in force for a counter: the subject's overrides, else the rule's. */
  private limitsOf(counter: BudgetCounter): { limit: number; costLimit: number } {
    const override = counter.override ? this.overrides.get(counter.override.key)?.get(counter.override.field) : undefined;
    return { limit: override?.tokens ?? counter.limit, costLimit: override?.cost ?? counter.costLimit };
  }

  private setLimits(record: MemoryRecord, counter: BudgetCounter): void {
    const { limit, costLimit } = this.limitsOf(counter);
    record.limit = limit;
    record.costLimit = costLimit;
  }

  /** Marks and returns the thresholds the record's usage has reached and no commit reported before. */
  private cross(record: MemoryRecord, thresholds: readonly number[]): CrossedThreshold[] {
    const effective = record.limit > 0 ? saturated(record.limit + record.carryover + record.granted) : 0;
    const costEffective = record.costLimit > 0 ? saturated(record.costLimit + record.costGranted) : 0;
    const crossed: CrossedThreshold[] = [];
    const mark = (fraction: number, dimension: 'tokens' | 'cost', value: number, limit: number) => {
      const name = `${dimension === 'tokens' ? 't' : 'c'}:${fraction}`;
      if (limit <= 0 || value < fraction * limit || record.crossed?.has(name)) return;
      (record.crossed ??= new Set()).add(name);
      crossed.push({ fraction, dimension });
    };
    for (const fraction of thresholds) {
      mark(fraction, 'tokens', record.used, effective);
      mark(fraction, 'cost', record.costUsed, costEffective);
    }
    return crossed;
  }

  private seen(now: number): void {
    if (now > this.latestNow) this.latestNow = now;
  }

  private live(key: string, now: number): MemoryRecord | undefined {
    const record = this.records.get(key);
    if (!record) return undefined;
    if (record.expireAt <= now) {
      this.records.delete(key);
      return undefined;
    }
    if (record.nextLeaseEnd <= now) this.expireLeases(record, now);
    return record;
  }

  private touch(counter: BudgetCounter, now: number): MemoryRecord {
    const record = this.live(counter.key, now) ?? this.create(counter, now);
    this.setLimits(record, counter);
    return record;
  }

  private create(counter: BudgetCounter, now: number): MemoryRecord {
    const record: MemoryRecord = {
      used: 0,
      reserved: 0,
      limit: counter.limit,
      carryover: this.bonus(counter, now),
      costUsed: 0,
      costReserved: 0,
      costLimit: counter.costLimit,
      requests: 0,
      granted: 0,
      costGranted: 0,
      crossed: undefined,
      leases: new Map(),
      nextLeaseEnd: Infinity,
      expireAt: counter.expireAt,
    };
    this.setLimits(record, counter);
    this.records.set(counter.key, record);
    return record;
  }

  private emptyState(counter: BudgetCounter, now: number): CounterState {
    const { limit, costLimit } = this.limitsOf(counter);
    return {
      used: 0,
      reserved: 0,
      carryover: this.bonus(counter, now),
      costUsed: 0,
      costReserved: 0,
      requests: 0,
      granted: 0,
      costGranted: 0,
      limit,
      costLimit,
    };
  }

  private bonus(counter: BudgetCounter, now: number): number {
    if (counter.maxCarryover <= 0 || counter.previousKey === undefined) return 0;
    const previous = this.live(counter.previousKey, now);
    if (!previous || previous.limit <= 0) return 0;
    const unused = saturated(previous.limit + previous.carryover + previous.granted) - previous.used - previous.reserved;
    return Math.max(0, Math.min(unused, counter.maxCarryover));
  }

  private dropLease(record: MemoryRecord, id: string): void {
    const lease = record.leases.get(id);
    if (!lease) return;
    record.leases.delete(id);
    record.reserved -= lease.amount;
    record.costReserved -= lease.cost;
  }

  private expireLeases(record: MemoryRecord, now: number): void {
    let next = Infinity;
    for (const [id, lease] of record.leases) {
      if (lease.until <= now) {
        record.leases.delete(id);
        record.reserved -= lease.amount;
        record.costReserved -= lease.cost;
      } else if (lease.until < next) {
        next = lease.until;
      }
    }
    record.nextLeaseEnd = next;
  }
}

function stateOf(record: MemoryRecord): CounterState {
  return {
    used: record.used,
    reserved: record.reserved,
    carryover: record.carryover,
    costUsed: record.costUsed,
    costReserved: record.costReserved,
    requests: record.requests,
    granted: record.granted,
    costGranted: record.costGranted,
    limit: record.limit,
    costLimit: record.costLimit,
  };
}
