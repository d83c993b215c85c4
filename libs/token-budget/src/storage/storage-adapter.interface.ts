import { Inject } from '@nestjs/common';
import type { MaybePromise } from '../maybe-promise';
import type { RateHit, RateHitRequest } from './rate-window.interface';

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
  /**
   * Money limit of the period in nano-dollars (1 USD = 1e9, see `usdToNanos`); 0 means unlimited
   * (spend is still counted). Money does not roll over.
   */
  costLimit: number;
  /** Largest rollover bonus; 0 disables rollover. */
  maxCarryover: number;
  /** Epoch ms after which the record may be deleted (kept one period beyond its end for rollover); `Infinity` keeps it. */
  expireAt: number;
  /**
   * Where this subject's limit overrides for this rule live: a hash that never expires, beside the
   * counter (same hash tag), fields `t:<field>` (tokens) and `c:<field>` (nano-dollars), which
   * replace `limit` and `costLimit`.
   */
  override?: { key: string; field: string };
  /**
   * The rankings of this rule and period that the counter's `used` (`key`) and `costUsed`
   * (`costKey`) are written to after each commit, under `member` (for `listUsage`).
   */
  index?: { key: string; costKey: string; member: string };
  /** Fractions of the effective limit whose crossing a commit reports once per period (ascending). */
  thresholds?: readonly number[];
  /** Never refuses: holds and counts past the limit (`onExceeded: 'warn'`). */
  soft?: boolean;
}

/**
 * A counter as stored: committed usage, outstanding reservations and the rollover bonus (tokens),
 * the same for money (nano-dollars), and the number of committed calls.
 */
export interface CounterState {
  used: number;
  reserved: number;
  /** Rollover bonus of this period (`min(previous unused, maxCarryover)`). */
  carryover: number;
  /** Committed spend in nano-dollars. */
  costUsed: number;
  /** Money held by reservations in flight, in nano-dollars. */
  costReserved: number;
  /** Committed calls (one per commit or record). */
  requests: number;
  /** Tokens granted for this period (`BudgetService.grant`). */
  granted?: number;
  /** Money granted for this period, in nano-dollars. */
  costGranted?: number;
  /** The token limit in force: the subject's override when it has one, else the counter's `limit`. */
  limit?: number;
  /** The money limit in force (nano-dollars): the subject's override when it has one, else `costLimit`. */
  costLimit?: number;
}

/** A threshold a commit crossed first in its period. */
export interface CrossedThreshold {
  /** The fraction of the effective limit, e.g. `0.8`. */
  fraction: number;
  dimension: BudgetDimension;
}

/** What a commit did to each counter: its state after, and the thresholds it crossed. */
export interface CommitResult {
  /** State of each counter after the commit (in request order). */
  states: CounterState[];
  /** Per counter, the thresholds this commit crossed first in the period (each reported by one commit only). */
  crossed: CrossedThreshold[][];
}

export interface GrantRequest {
  counters: BudgetCounter[];
  /** Tokens added to each counter's effective limit for its current period. */
  tokens: number;
  /** Money added to each counter's cost limit for its current period, in nano-dollars. */
  cost: number;
  now: number;
}

export interface SetLimitRequest {
  /** The override hash and field (`BudgetCounter.override`). */
  key: string;
  field: string;
  /** Token limit to store; `null` removes it, `undefined` leaves it. */
  tokens?: number | null;
  /** Money limit to store in nano-dollars; `null` removes it, `undefined` leaves it. */
  cost?: number | null;
}

export interface ListRequest {
  /** Ranking key (`BudgetCounter.index.key` or `.costKey`). */
  key: string;
  /** How many members, highest first; 0 for all. */
  limit: number;
  now: number;
}

/** One member of a ranking. */
export interface IndexEntry {
  member: string;
  score: number;
}

/** What a budget counts: tokens, or money. */
export type BudgetDimension = 'tokens' | 'cost';

/**
 * How a reservation treats an estimate that does not fit: `'strict'` refuses it; `'clamp'` holds
 * what every counter has left (tokens and money each by their own room) and admits while every
 * limited counter has anything left.
 */
export type ReservationPolicy = 'strict' | 'clamp';

export interface ReserveRequest {
  /** Reservation id, unique per reservation. */
  id: string;
  counters: BudgetCounter[];
  /** Estimated tokens to hold on every counter (0 = hold nothing, admit while below the limit). */
  amount: number;
  /** Estimated cost to hold on every counter, in nano-dollars (0 = hold nothing, admit while below the cost limit). */
  cost: number;
  /**
   * `'strict'` admits iff the whole estimate fits; `'clamp'` holds `min(estimate, room)` per
   * dimension and admits while every limited counter has room left.
   * @default 'strict'
   */
  policy?: ReservationPolicy;
  /**
   * Epoch ms when the reservation lapses if nobody commits or releases it. A storage with a clock of
   * its own (`now()`, Redis) holds it for `leaseUntil - now` from its own time instead.
   */
  leaseUntil: number;
  now: number;
}

/**
 * Result of an atomic reserve across counters: all were reserved, or none. An admitted result says
 * what is held on every counter (the estimate, or less under `'clamp'`); a refusal names the
 * counter and the dimension that refused.
 */
export type ReserveResult =
  | { admitted: true; states: CounterState[]; held: number; heldCost: number }
  | { admitted: false; index: number; dimension: BudgetDimension; state: CounterState };

export interface CommitRequest {
  /** Reservation to settle; an unknown or lapsed id still counts `amount` (a late commit). */
  id: string;
  counters: BudgetCounter[];
  /** Actual tokens used. */
  amount: number;
  /** Actual cost in nano-dollars. */
  cost: number;
  now: number;
}

export interface ReleaseRequest {
  id: string;
  counters: BudgetCounter[];
  now: number;
}

/** Moves a live reservation's lease (see `StorageAdapter.renew`). */
export interface RenewRequest {
  id: string;
  counters: BudgetCounter[];
  /**
   * Epoch ms the reservation now lapses at. A storage with a clock of its own (`now()`, Redis)
   * holds it for `leaseUntil - now` from its own time instead.
   */
  leaseUntil: number;
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
  /**
   * Strict: admits iff for every counter with a limit `used + reserved + amount <= limit + carryover`
   * (`<` when amount is 0) and for every counter with a cost limit
   * `costUsed + costReserved + cost <= costLimit` (`<` when cost is 0), and holds `amount` and
   * `cost` on each. Clamp: admits iff every limited counter has room left in each dimension, and
   * holds the smallest room (capped by the estimate) on each.
   */
  reserve(request: ReserveRequest): MaybePromise<ReserveResult>;
  /**
   * Replaces the reservation by the actual usage and cost, and counts one request; updates the
   * counter's rankings and marks the thresholds crossed (each reported by one commit only).
   * Idempotent by `id`: a commit retried after one that landed (its reply lost) counts nothing
   * again. RedisAdapter remembers a committed id for 10 minutes (`COMMITTED_ID_RETENTION_MS`);
   * MemoryAdapter commits synchronously, so its commits are never retried.
   */
  commit(request: CommitRequest): MaybePromise<CommitResult | void>;
  /** Drops the reservation without counting usage. */
  release(request: ReleaseRequest): MaybePromise<void>;
  /** Current state of each counter, with lapsed reservations left out. */
  read(counters: BudgetCounter[], now: number): MaybePromise<CounterState[]>;
  /** Deletes the counters (their usage and reservations). */
  delete(keys: string[]): MaybePromise<void>;
  /**
   * Moves the lease of a live reservation to `leaseUntil` on every counter that still holds it;
   * returns false when no counter holds it any more (it lapsed, or was settled). Called every
   * `leaseMs / 3` while the call runs, so a live call never loses its hold and a dead instance's
   * holds still lapse within one lease. Optional: an adapter without it keeps working, its leases
   * are just never renewed (set `leaseMs` above your longest call).
   */
  renew?(request: RenewRequest): MaybePromise<boolean>;
  /** Adds credits to each counter's current period; returns the states after. Needed by `BudgetService.grant`. */
  grant?(request: GrantRequest): MaybePromise<CounterState[]>;
  /** Stores or removes a subject's limit override. Needed by `BudgetService.setLimit`. */
  setLimit?(request: SetLimitRequest): MaybePromise<void>;
  /** The highest members of a ranking. Needed by `BudgetService.listUsage` and `spendReport`. */
  list?(request: ListRequest): MaybePromise<IndexEntry[]>;
  /** Removes members from rankings (after a reset). */
  unindex?(entries: { key: string; costKey: string; member: string }[]): MaybePromise<void>;
  /**
   * The storage's own clock (epoch ms), when it decides time itself (RedisAdapter: the Redis
   * server's). BudgetService and the guards then build period keys and headers from it, and the
   * module's `clock` is not read. Absent: the module's `clock` (default `Date.now`) decides.
   */
  now?(): number;
  /**
   * Counts a request against a fixed rate window (`RateWindowStore`): what tier rate limits
   * go by. Optional: an adapter with it shares tier rates across app instances (RedisAdapter on its
   * client, MemoryAdapter in process); without it, rates are counted per process (and logged once).
   * A wrapper around an adapter keeps shared rates by forwarding it.
   */
  hit?(request: RateHitRequest): MaybePromise<RateHit>;
}

/** DI token of the {@link StorageAdapter} in use (an interface and its token share the name). */
export const StorageAdapter = Symbol('TOKEN_BUDGET:STORAGE_ADAPTER');

/** Injects the module's {@link StorageAdapter}. */
export const InjectStorageAdapter = (): ParameterDecorator & PropertyDecorator => Inject(StorageAdapter);
