import { effectiveCostLimit, effectiveLimit, hasLapsed, reachesThreshold } from './counter-arithmetic';
import type { BudgetCounter, CounterState, CrossedThreshold } from './storage-adapter.interface';

/** A reservation's hold on one counter, until its lease lapses. */
interface Lease {
  amount: number;
  cost: number;
  until: number;
}

/** One counter of one period, as MemoryAdapter keeps it. */
export interface MemoryRecord {
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

/** A record with nothing counted yet, its rollover bonus fixed at `carryover`. */
export function newRecord(counter: BudgetCounter, carryover: number, limit: number, costLimit: number): MemoryRecord {
  return {
    used: 0,
    reserved: 0,
    limit,
    carryover,
    costUsed: 0,
    costReserved: 0,
    costLimit,
    requests: 0,
    granted: 0,
    costGranted: 0,
    crossed: undefined,
    leases: new Map(),
    nextLeaseEnd: Infinity,
    expireAt: counter.expireAt,
  };
}

export function stateOf(record: MemoryRecord): CounterState {
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

/** Holds `amount` tokens and `cost` nano-dollars for reservation `id` until `until`. */
export function addLease(record: MemoryRecord, id: string, amount: number, cost: number, until: number): void {
  record.reserved += amount;
  record.costReserved += cost;
  record.leases.set(id, { amount, cost, until });
  if (until < record.nextLeaseEnd) record.nextLeaseEnd = until;
}

/** Moves a live lease's end later (never earlier); false when the record does not hold `id`. */
export function renewLease(record: MemoryRecord, id: string, until: number): boolean {
  const lease = record.leases.get(id);
  if (!lease) return false;
  if (until > lease.until) lease.until = until;
  return true;
}

export function dropLease(record: MemoryRecord, id: string): void {
  const lease = record.leases.get(id);
  if (!lease) return;
  record.leases.delete(id);
  record.reserved -= lease.amount;
  record.costReserved -= lease.cost;
}

/** Drops every lease that has lapsed by `now` (all at once), and notes when the next one ends. */
export function expireLeases(record: MemoryRecord, now: number): void {
  let next = Infinity;
  for (const [id, lease] of record.leases) {
    if (hasLapsed(lease.until, now)) {
      record.leases.delete(id);
      record.reserved -= lease.amount;
      record.costReserved -= lease.cost;
    } else if (lease.until < next) {
      next = lease.until;
    }
  }
  record.nextLeaseEnd = next;
}

/** Marks and returns the thresholds the record's usage has reached and no commit reported before. */
export function crossThresholds(record: MemoryRecord, thresholds: readonly number[]): CrossedThreshold[] {
  const effective = effectiveLimit(record.limit, record.carryover, record.granted);
  const costEffective = effectiveCostLimit(record.costLimit, record.costGranted);
  const crossed: CrossedThreshold[] = [];
  for (const fraction of thresholds) {
    if (reachesThreshold(record.used, fraction, effective) && mark(record, `t:${fraction}`)) {
      crossed.push({ fraction, dimension: 'tokens' });
    }
    if (reachesThreshold(record.costUsed, fraction, costEffective) && mark(record, `c:${fraction}`)) {
      crossed.push({ fraction, dimension: 'cost' });
    }
  }
  return crossed;
}

/** Notes a threshold as reported; false when a commit reported it already this period. */
function mark(record: MemoryRecord, name: string): boolean {
  if (record.crossed?.has(name)) return false;
  (record.crossed ??= new Set()).add(name);
  return true;
}
