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

  reserve({ id, counters, amount, cost, policy, leaseUntil, now }: ReserveRequest): ReserveResult {
    this.seen(now);
    const clamp = policy === 'clamp';
    let held = amount;
    let heldCost = cost;
    const records: (MemoryRecord | undefined)[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i];
      const record = (records[i] = this.live(counter.key, now));
      const state = record ? stateOf(record) : this.emptyState(counter, now);
      if (counter.limit > 0) {
        const room = counter.limit + state.carryover - state.used - state.reserved;
        if (clamp || amount <= 0 ? room <= 0 : amount > room) return { admitted: false, index: i, dimension: 'tokens', state };
        if (room < held) held = room;
      }
      if (counter.costLimit > 0) {
        const room = counter.costLimit - state.costUsed - state.costReserved;
        if (clamp || cost <= 0 ? room <= 0 : cost > room) return { admitted: false, index: i, dimension: 'cost', state };
        if (room < heldCost) heldCost = room;
      }
    }
    const states: CounterState[] = new Array(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const record = records[i] ?? this.create(counters[i], now);
      record.limit = counters[i].limit;
      record.costLimit = counters[i].costLimit;
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

  commit({ id, counters, amount, cost, now }: CommitRequest): void {
    this.seen(now);
    for (const counter of counters) {
      if (counter.expireAt <= now) continue; // a commit later than the record's life: no budget reads it any more
      const record = this.touch(counter, now);
      this.dropLease(record, id);
      record.used += amount;
      record.costUsed += cost;
      record.requests += 1;
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
      return record ? stateOf(record) : this.emptyState(counter, now);
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
    record.costLimit = counter.costLimit;
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
      leases: new Map(),
      nextLeaseEnd: Infinity,
      expireAt: counter.expireAt,
    };
    this.records.set(counter.key, record);
    return record;
  }

  private emptyState(counter: BudgetCounter, now: number): CounterState {
    return { used: 0, reserved: 0, carryover: this.bonus(counter, now), costUsed: 0, costReserved: 0, requests: 0 };
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
  };
}
