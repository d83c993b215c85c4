import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { isPromise, MaybePromise } from '../maybe-promise';
import { throttleKey } from '../keys';
import { MemoryRateWindow } from '../storage/memory-rate-window';
import { hasRateWindows, RateHit, RateWindowStore } from '../storage/rate-window.interface';
import { StorageAdapter } from '../storage/storage-adapter.interface';
import { moduleClock } from '../storage/storage-clock';
import { DEFAULT_KEY_PREFIX, TOKEN_BUDGET_OPTIONS } from '../token-budget.constants';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';

/** What `ThrottlerStorage.increment` answers (@nestjs/throttler does not export the type by name). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** A throttler record with the exact window figures (ms) beside the throttler's whole seconds. */
export interface TierThrottlerRecord extends ThrottlerStorageRecord {
  /** Epoch ms at which the window frees. */
  resetAt: number;
  /** The window's limit, burst included. */
  limit: number;
}

/**
 * The module's `ThrottlerStorage`: fixed-window counters in the module's storage, so every app
 * instance on one Redis enforces one limit. Any storage adapter with a `hit(request)` method
 * ({@link RateWindowStore}) counts the windows: RedisAdapter with one Lua script on its own client,
 * MemoryAdapter in process, a wrapper around either by forwarding `hit`. An adapter without it gets
 * O(1) in-process windows (per app instance, with a warning at start-up).
 *
 * `TierThrottlerGuard` uses it; it also works as the `storage` of `ThrottlerModule` for plain
 * `ThrottlerGuard` limits (`blockDuration` is not supported: a window frees when it ends).
 */
@Injectable()
export class TierThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(TierThrottlerStorage.name);
  readonly windows: RateWindowStore;
  /** The in-process windows made for an adapter that has no `hit`, closed on shutdown. */
  private readonly ownWindows: MemoryRateWindow | undefined;
  /** @internal The time windows go by: the storage's clock when it has one (Redis), else the module's `clock`. */
  readonly now: () => number;
  private readonly keyPrefix: string;

  constructor(@Inject(StorageAdapter) storage: StorageAdapter, @Inject(TOKEN_BUDGET_OPTIONS) options: TokenBudgetModuleOptions) {
    this.now = moduleClock(storage, options);
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (hasRateWindows(storage)) {
      this.windows = storage;
    } else {
      this.logger.warn(
        `${storage.constructor.name} has no hit(request) method, so tier rate limits are counted in this process only; implement RateWindowStore on the adapter to share them across instances.`,
      );
      this.windows = this.ownWindows = new MemoryRateWindow();
    }
  }

  /**
   * `ThrottlerStorage.increment`: counts a hit if the window has room (a refused hit is not counted).
   * The throttler's key is stored as `<keyPrefix>:throttle:{<key>}`, beside the module's other keys.
   */
  async increment(key: string, ttl: number, limit: number, _blockDuration: number, _throttlerName: string): Promise<TierThrottlerRecord> {
    return this.hit(throttleKey(this.keyPrefix, key), ttl, limit, 0);
  }

  /** @internal A hit with burst; synchronous on memory. */
  hit(key: string, windowMs: number, limit: number, burst: number): MaybePromise<TierThrottlerRecord> {
    const now = this.now();
    const hit = this.windows.hit({ key, windowMs, limit, burst, now });
    return isPromise(hit) ? hit.then((answer) => toRecord(answer, answer.now ?? now)) : toRecord(hit, hit.now ?? now);
  }

  onApplicationShutdown(): void {
    this.ownWindows?.close();
  }
}

function toRecord(hit: RateHit, now: number): TierThrottlerRecord {
  const seconds = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
  return {
    totalHits: hit.admitted ? hit.hits : hit.hits + 1,
    timeToExpire: seconds,
    isBlocked: !hit.admitted,
    timeToBlockExpire: hit.admitted ? 0 : seconds,
    resetAt: hit.resetAt,
    limit: hit.limit,
  };
}
