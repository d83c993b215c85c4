import { OnModuleDestroy } from '@nestjs/common';
import {
  BudgetCounter,
  CommitRequest,
  CommitResult,
  CounterState,
  GrantRequest,
  IndexEntry,
  ListRequest,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SetLimitRequest,
  StorageAdapter,
} from './storage-adapter.interface';

interface Ranking {
  scores: Map<string, number>;
  expireAt: number;
}

interface Lease {
  amount: number;
  until: number;
}

interface MemoryRecord {
  used: number;
  reserved: number;
  /** Limit seen at the last write, read by the next period's rollover. */
  limit: number;
  carryover: number;
  granted: number;
  /** Thresholds already reported this period. */
  crossed: Set<number> | undefined;
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
export class MemoryAdapter implements StorageAdapter, OnModuleDestroy {
  private readonly records = new Map<string, MemoryRecord>();
  /** Limit overrides: hash key -> field -> limit. Kept until removed. */
  private readonly overrides = new Map<string, Map<string, number>>();
  /** Rankings for listUsage: key -> member -> used. Updated per commit in O(1), sorted per query. */
  private readonly rankings = new Map<string, Ranking>();
  private readonly sweepTimer: NodeJS.Timeout;
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

  reserve({ id, counters, amount, leaseUntil, now }: ReserveRequest): ReserveResult {
    this.seen(now);
    const records: (MemoryRecord | undefined)[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i];
      const record = (records[i] = this.live(counter.key, now));
      const limit = this.limitOf(counter);
      if (limit <= 0 || counter.soft) continue;
      const used = record ? record.used : 0;
      const reserved = record ? record.reserved : 0;
      const carryover = record ? record.carryover : this.bonus(counter, now);
      const granted = record ? record.granted : 0;
      const room = limit + carryover + granted - used - reserved;
      if (amount > 0 ? amount > room : room <= 0) return { admitted: false, index: i, state: { used, reserved, carryover, granted, limit } };
    }
    const states: CounterState[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const record = records[i] ?? this.create(counters[i], now);
      record.limit = this.limitOf(counters[i]);
      if (amount > 0) {
        record.reserved += amount;
        record.leases.set(id, { amount, until: leaseUntil });
        if (leaseUntil < record.nextLeaseEnd) record.nextLeaseEnd = leaseUntil;
      }
      states[i] = stateOf(record);
    }
    return { admitted: true, states };
  }

  commit({ id, counters, amount, now }: CommitRequest): CommitResult {
    this.seen(now);
    const states: CounterState[] = new Array(counters.length);
    const crossed: number[][] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i];
      crossed[i] = [];
      if (counter.expireAt <= now) {
        // a commit later than the record's life: no budget reads it any more
        states[i] = { used: 0, reserved: 0, carryover: 0, granted: 0, limit: this.limitOf(counter) };
        continue;
      }
      const record = this.touch(counter, now);
      this.dropLease(record, id);
      record.used += amount;
      if (counter.index) this.rank(counter.index.key, counter.index.member, record.used, counter.expireAt);
      if (counter.thresholds?.length) crossed[i] = this.cross(record, counter.thresholds);
      states[i] = stateOf(record);
    }
    return { states, crossed };
  }

  grant({ counters, tokens, now }: GrantRequest): CounterState[] {
    this.seen(now);
    return counters.map((counter) => {
      const record = this.touch(counter, now);
      record.granted += tokens;
      return stateOf(record);
    });
  }

  setLimit({ key, field, tokens }: SetLimitRequest): void {
    let fields = this.overrides.get(key);
    if (tokens === null) {
      fields?.delete(field);
      if (fields?.size === 0) this.overrides.delete(key);
      return;
    }
    if (!fields) this.overrides.set(key, (fields = new Map()));
    fields.set(field, tokens);
  }

  list({ key, limit, now }: ListRequest): IndexEntry[] {
    const ranking = this.rankings.get(key);
    if (!ranking || ranking.expireAt <= now) return [];
    const entries = [...ranking.scores].map(([member, score]) => ({ member, score }));
    entries.sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : a.member > b.member ? -1 : 0));
    return limit > 0 ? entries.slice(0, limit) : entries;
  }

  unindex(entries: { key: string; member: string }[]): void {
    for (const { key, member } of entries) this.rankings.get(key)?.scores.delete(member);
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
      if (!record) return { used: 0, reserved: 0, carryover: this.bonus(counter, now), granted: 0, limit: this.limitOf(counter) };
      return stateOf(record, this.limitOf(counter));
    });
  }

  delete(keys: string[]): void {
    for (const key of keys) this.records.delete(key);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /** Drops every record whose period (and rollover window) has ended by `now` (app clock). */
  sweep(now: number): void {
    for (const [key, record] of this.records) if (record.expireAt <= now) this.records.delete(key);
    for (const [key, ranking] of this.rankings) if (ranking.expireAt <= now) this.rankings.delete(key);
  }

  /** The limit in force for a counter: the subject's override, else the rule's. */
  private limitOf(counter: BudgetCounter): number {
    if (!counter.override) return counter.limit;
    return this.overrides.get(counter.override.key)?.get(counter.override.field) ?? counter.limit;
  }

  private rank(key: string, member: string, score: number, expireAt: number): void {
    let ranking = this.rankings.get(key);
    if (!ranking) this.rankings.set(key, (ranking = { scores: new Map(), expireAt }));
    ranking.scores.set(member, score);
  }

  /** Marks and returns the thresholds the record's usage has reached and no commit reported before. */
  private cross(record: MemoryRecord, thresholds: readonly number[]): number[] {
    const effective = record.limit > 0 ? record.limit + record.carryover + record.granted : 0;
    if (effective <= 0) return [];
    const crossed: number[] = [];
    for (const fraction of thresholds) {
      if (record.used < fraction * effective || record.crossed?.has(fraction)) continue;
      (record.crossed ??= new Set()).add(fraction);
      crossed.push(fraction);
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
    record.limit = this.limitOf(counter);
    return record;
  }

  private create(counter: BudgetCounter, now: number): MemoryRecord {
    const record: MemoryRecord = {
      used: 0,
      reserved: 0,
      limit: this.limitOf(counter),
      carryover: this.bonus(counter, now),
      granted: 0,
      crossed: undefined,
      leases: new Map(),
      nextLeaseEnd: Infinity,
      expireAt: counter.expireAt,
    };
    this.records.set(counter.key, record);
    return record;
  }

  private bonus(counter: BudgetCounter, now: number): number {
    if (counter.maxCarryover <= 0 || counter.previousKey === undefined) return 0;
    const previous = this.live(counter.previousKey, now);
    if (!previous || previous.limit <= 0) return 0;
    const unused = previous.limit + previous.carryover + previous.granted - previous.used - previous.reserved;
    return Math.max(0, Math.min(unused, counter.maxCarryover));
  }

  private dropLease(record: MemoryRecord, id: string): void {
    const lease = record.leases.get(id);
    if (!lease) return;
    record.leases.delete(id);
    record.reserved -= lease.amount;
  }

  private expireLeases(record: MemoryRecord, now: number): void {
    let next = Infinity;
    for (const [id, lease] of record.leases) {
      if (lease.until <= now) {
        record.leases.delete(id);
        record.reserved -= lease.amount;
      } else if (lease.until < next) {
        next = lease.until;
      }
    }
    record.nextLeaseEnd = next;
  }
}

function stateOf(record: MemoryRecord, limit = record.limit): CounterState {
  return { used: record.used, reserved: record.reserved, carryover: record.carryover, granted: record.granted, limit };
}
