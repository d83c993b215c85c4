import { OnModuleDestroy } from '@nestjs/common';
import { assertStorable, saturated } from './checked-amounts';
import { admission, rolloverBonus } from './counter-arithmetic';
import { MemoryOverrides } from './memory-overrides';
import { MemoryRankings } from './memory-rankings';
import { MemoryRateWindow } from './memory-rate-window';
import { addLease, crossThresholds, dropLease, expireLeases, MemoryRecord, newRecord, renewLease, stateOf } from './memory-record';
import type { RateHit, RateHitRequest, RateWindowStore } from './rate-window.interface';
import type {
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
  private readonly overrides = new MemoryOverrides();
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
    const records: (MemoryRecord | undefined)[] = new Array(counters.length);
    // the counters that may refuse, as read; the same array then carries the states after the hold
    const states: (CounterState | undefined)[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i];
      const record = (records[i] = this.live(counter.key, now));
      if (record) this.setLimits(record, counter);
      if (counter.soft) continue;
      const limits = record ?? this.overrides.limitsOf(counter);
      if (limits.limit <= 0 && limits.costLimit <= 0) continue;
      states[i] = record ? stateOf(record) : this.emptyState(counter, now);
    }
    const result = admission(states, amount, cost, policy === 'clamp');
    if (!result.admitted) return result;
    for (let i = 0; i < counters.length; i++) {
      const record = records[i] ?? this.create(counters[i], now);
      this.setLimits(record, counters[i]);
      if (result.held > 0 || result.heldCost > 0) addLease(record, id, result.held, result.heldCost, leaseUntil);
      states[i] = stateOf(record);
    }
    return result;
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
      dropLease(record, id);
      record.used = saturated(record.used + amount);
      record.costUsed = saturated(record.costUsed + cost);
      record.requests = saturated(record.requests + 1);
      if (counter.index) {
        this.rankings.set(counter.index.key, counter.index.member, record.used, counter.expireAt);
        this.rankings.set(counter.index.costKey, counter.index.member, record.costUsed, counter.expireAt);
      }
      if (counter.thresholds?.length) crossed[i] = crossThresholds(record, counter.thresholds);
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

  setLimit(request: SetLimitRequest): void {
    this.overrides.set(request);
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
      const record = this.live(counter.key, now);
      if (record && renewLease(record, id, leaseUntil)) held = true;
    }
    return held;
  }

  release({ id, counters, now }: ReleaseRequest): void {
    for (const counter of counters) {
      const record = this.live(counter.key, now);
      if (record) dropLease(record, id);
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

  private setLimits(record: MemoryRecord, counter: BudgetCounter): void {
    const { limit, costLimit } = this.overrides.limitsOf(counter);
    record.limit = limit;
    record.costLimit = costLimit;
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
    if (record.nextLeaseEnd <= now) expireLeases(record, now);
    return record;
  }

  private touch(counter: BudgetCounter, now: number): MemoryRecord {
    const record = this.live(counter.key, now) ?? this.create(counter, now);
    this.setLimits(record, counter);
    return record;
  }

  private create(counter: BudgetCounter, now: number): MemoryRecord {
    const { limit, costLimit } = this.overrides.limitsOf(counter);
    const record = newRecord(counter, this.bonus(counter, now), limit, costLimit);
    this.records.set(counter.key, record);
    return record;
  }

  private emptyState(counter: BudgetCounter, now: number): CounterState {
    const { limit, costLimit } = this.overrides.limitsOf(counter);
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

  /** The rollover bonus a new record of this counter gets, from its previous period's record. */
  private bonus(counter: BudgetCounter, now: number): number {
    if (counter.maxCarryover <= 0 || counter.previousKey === undefined) return 0;
    return rolloverBonus(counter.maxCarryover, this.live(counter.previousKey, now));
  }
}
