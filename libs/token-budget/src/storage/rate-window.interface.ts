import type { MaybePromise } from '../maybe-promise';

/** One request against a rate window: count it if the window has room. */
export interface RateHitRequest {
  /** Storage key of the window, e.g. `tokenbudget:rate:{user:42}`. */
  key: string;
  /** Window length in ms. */
  windowMs: number;
  /** Requests per window. */
  limit: number;
  /** Unused requests of the previous window that may be added to `limit` (at most this many). */
  burst: number;
  /** Epoch ms of the app clock; a store with a clock of its own (Redis) may go by that instead. */
  now: number;
}

/** Outcome of a hit. A refused hit is not counted. */
export interface RateHit {
  admitted: boolean;
  /** Requests counted in the current window (this one included when admitted). */
  hits: number;
  /** `limit` plus the burst this window received. */
  limit: number;
  /** Epoch ms at which the current window ends and the next one opens. */
  resetAt: number;
  /** The time the store decided by (Redis: the server's), when it is not the request's `now`. */
  now?: number;
}

/**
 * Fixed-window request counters. A window opens at a key's first hit and lasts `windowMs`; the next
 * one follows it directly (or opens at the next hit after an idle window). Each hit is O(1) and
 * atomic: a check and an increment in one step.
 */
export interface RateWindowStore {
  hit(request: RateHitRequest): MaybePromise<RateHit>;
}

/**
 * True when a storage adapter (or anything) counts rate windows itself: it has a `hit(request)`
 * method. Told by the method, never by class, so a wrapped or third-party adapter that forwards
 * `hit` keeps sharing tier rates.
 */
export function hasRateWindows<T extends object>(value: T): value is T & RateWindowStore {
  return typeof (value as Partial<RateWindowStore>).hit === 'function';
}
