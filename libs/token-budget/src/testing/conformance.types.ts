import type { MaybePromise } from '../maybe-promise';
import type { StorageAdapter } from '../storage/storage-adapter.interface';

/**
 * An optional part of a storage adapter that enables cases of the kit. Each one but
 * `'idempotentCommit'` is a method, found on the adapter by name (never by class):
 * - `'renew'`: `renew()` moves live leases (the lease-renewal case);
 * - `'grant'`: `grant()` adds credits to a period (the credits case);
 * - `'setLimit'`: `setLimit()` stores per-subject overrides (the override case);
 * - `'list'`: `list()` ranks counters by tokens and by money (the ranking case);
 * - `'unindex'`: `unindex()` removes members from rankings (with `'list'`: the unindex case);
 * - `'now'`: `now()`, the adapter decides time by its own clock (the clock case; the lease and rate
 *   window cases then wait for that clock instead of passing later `now` values);
 * - `'hit'`: `hit()`, rate windows of `RateWindowStore` (the rate-window cases);
 * - `'idempotentCommit'`: a behaviour, declared only: a commit retried with the same id counts once
 *   (required of an adapter whose commit can fail after writing, e.g. on a network store).
 */
export type StorageCapability = 'renew' | 'grant' | 'setLimit' | 'list' | 'unindex' | 'now' | 'hit' | 'idempotentCommit';

/** The capabilities that are methods of the adapter (all but `'idempotentCommit'`). */
export const METHOD_CAPABILITIES: readonly StorageCapability[] = ['renew', 'grant', 'setLimit', 'list', 'unindex', 'now', 'hit'];

/** Every capability, in the order titles name them. */
export const ALL_CAPABILITIES: readonly StorageCapability[] = [...METHOD_CAPABILITIES, 'idempotentCommit'];

/** How to make (and dispose of) the adapter under test. */
export interface StorageConformanceOptions<A extends StorageAdapter = StorageAdapter> {
  /**
   * A fresh adapter. Called once per case; adapters of one store may share it (every case writes
   * under keys of its own, see `keyPrefix`).
   * @example create: () => new RedisAdapter(redis)
   */
  create(): MaybePromise<A>;
  /**
   * Disposes of an adapter after its case (close its client, clear its timers).
   * @default nothing
   */
  destroy?(adapter: A): MaybePromise<void>;
  /**
   * The optional capabilities whose cases are registered. Given: those cases are registered and a
   * first case fails when the adapter lacks one of the listed methods (a wrapper that lost a method
   * fails instead of quietly testing less). Omitted: found by method on one adapter made by `create()`
   * at registration, which must then answer synchronously (`'idempotentCommit'` is never found:
   * list it to test it).
   * @default the methods found on the adapter
   * @example capabilities: ['renew', 'grant', 'setLimit', 'list', 'unindex', 'now', 'idempotentCommit']
   */
  capabilities?: readonly StorageCapability[];
  /**
   * The clock the adapter decides time by (epoch ms), when it does not go by the requests' `now`.
   * With one (this, or the adapter's `now()`), time-based cases wait for that clock (leases of a
   * second or two); without, they pass later `now` values to the adapter.
   * @default the adapter's `now()` when it has one, else none
   */
  clock?: () => number;
  /**
   * Start of every key the cases write; each case adds a random part of its own.
   * @default 'tb-conformance'
   */
  keyPrefix?: string;
  /**
   * Time limit of one case, in ms (given to the runner's `it`).
   * @default 30_000
   */
  timeoutMs?: number;
}

/** One case of the kit, runnable on its own (it creates and disposes of its adapter). */
export interface ConformanceCase {
  name: string;
  /** The capabilities this case needs (empty: every adapter runs it). */
  needs: readonly StorageCapability[];
  run(): Promise<void>;
}

/** The runner functions the kit registers with (jest's and vitest's globals have this shape). */
export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  it(name: string, run: () => Promise<void>, timeoutMs?: number): void;
}
