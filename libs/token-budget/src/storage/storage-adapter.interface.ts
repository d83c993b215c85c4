import { Inject } from '@nestjs/common';
import type { MaybePromise } from '../maybe-promise';

/**
 * One budget counter for the current period, as storage sees it: a key, its limit and how to
 * compute its rollover bonus. Built by BudgetService from the rules; adapters only store.
 */
export interface BudgetCounter {
  /** Storage key of this period's counter, e.g. `tokenbudget:budget:{user:42}:2026-11`. */
  key: string;
  /** Key of the same subject's previous period, read once to compute the rollover bonus. */
  previousKey?: string;
  /** Token limit of the period; 0 means unlimited (usage is still counted). */
  limit: number;
  /** Largest rollover bonus; 0 disables rollover. */
  maxCarryover: number;
  /** Epoch ms after which the record may be deleted (kept one period beyond its end for rollover); `Infinity` keeps it. */
  expireAt: number;
}

/** A counter as stored: committed usage, outstanding reservations and the rollover bonus. */
export interface CounterState {
  used: number;
  reserved: number;
  /** Rollover bonus of this period (`min(previous unused, maxCarryover)`). */
  carryover: number;
}

export interface ReserveRequest {
  /** Reservation id, unique per reservation. */
  id: string;
  counters: BudgetCounter[];
  /** Estimated tokens to hold on every counter (0 = hold nothing, admit while below the limit). */
  amount: number;
  /** Epoch ms when the reservation lapses if nobody commits or releases it. */
  leaseUntil: number;
  now: number;
}

/** Result of an atomic reserve across counters: all were reserved, or none. */
export type ReserveResult =
  | { admitted: true; states: CounterState[] }
  | { admitted: false; index: number; state: CounterState };

export interface CommitRequest {
  /** Reservation to settle; an unknown or lapsed id still counts `amount` (a late commit). */
  id: string;
  counters: BudgetCounter[];
  /** Actual tokens used. */
  amount: number;
  now: number;
}

export interface ReleaseRequest {
  id: string;
  counters: BudgetCounter[];
  now: number;
}

/**
 * Where budget counters live. Every operation is atomic across all the counters it is given:
 * a reserve either holds the amount on every counter or on none, whatever the concurrency.
 * Operations may answer synchronously (MemoryAdapter does, which keeps the guard synchronous) or
 * with a Promise.
 * Implement it to keep budgets in another store; the library ships {@link MemoryAdapter} and
 * {@link RedisAdapter}.
 */
export interface StorageAdapter {
  /** Admits iff for every counter with a limit `used + reserved + amount <= limit + carryover` (`<` when amount is 0), and holds `amount` on each. */
  reserve(request: ReserveRequest): MaybePromise<ReserveResult>;
  /** Replaces the reservation by the actual usage. */
  commit(request: CommitRequest): MaybePromise<void>;
  /** Drops the reservation without counting usage. */
  release(request: ReleaseRequest): MaybePromise<void>;
  /** Current state of each counter, with lapsed reservations left out. */
  read(counters: BudgetCounter[], now: number): MaybePromise<CounterState[]>;
  /** Deletes the counters (their usage and reservations). */
  delete(keys: string[]): MaybePromise<void>;
}

/** DI token of the {@link StorageAdapter} in use (an interface and its token share the name). */
export const StorageAdapter = Symbol('TOKEN_BUDGET:STORAGE_ADAPTER');

/** Injects the module's {@link StorageAdapter}. */
export const InjectStorageAdapter = (): ParameterDecorator & PropertyDecorator => Inject(StorageAdapter);
