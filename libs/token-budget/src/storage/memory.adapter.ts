import { OnModuleDestroy } from '@nestjs/common';
import {
  BudgetCounter,
  CommitRequest,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  StorageAdapter,
} from './storage-adapter.interface';

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
      if (counter.limit <= 0) continue;
      const used = record ? record.used : 0;
      const reserved = record ? record.reserved : 0;
      const carryover = record ? record.carryover : this.bonus(counter, now);
      const room = counter.limit + carryover - used - reserved;
      if (amount > 0 ? amount > room : room <= 0) return { admitted: false, index: i, state: { used, reserved, carryover } };
    }
    const states: CounterState[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const record = records[i] ?? this.create(counters[i], now);
      record.limit = counters[i].limit;
      if (amount > 0) {
        record.reserved += amount;
        record.leases.set(id, { amount, until: leaseUntil });
        if (leaseUntil < record.nextLeaseEnd) record.nextLeaseEnd = leaseUntil;
      }
      states[i] = { used: record.used, reserved: record.reserved, carryover: record.carryover };
    }
    return { admitted: true, states };
  }

  commit({ id, counters, amount, now }: CommitRequest): void {
    this.seen(now);
    for (const counter of counters) {
      if (counter.expireAt <= now) continue; // a commit later than the record's life: no budget reads it any more
      const record = this.touch(counter, now);
      this.dropLease(record, id);
      record.used += amount;
    }
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
      if (!record) return { used: 0, reserved: 0, carryover: this.bonus(counter, now) };
      return { used: record.used, reserved: record.reserved, carryover: record.carryover };
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
    record.limit = counter.limit;
    return record;
  }

  private create(counter: BudgetCounter, now: number): MemoryRecord {
    const record: MemoryRecord = {
      used: 0,
      reserved: 0,
      limit: counter.limit,
      carryover: this.bonus(counter, now),
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
    const unused = previous.limit + previous.carryover - previous.used - previous.reserved;
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
