import { Logger } from '@nestjs/common';
import { MemoryAdapter } from '../storage/memory.adapter';
import type { StorageAdapter } from '../storage/storage-adapter.interface';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import { TierThrottlerStorage } from './tier-throttler.storage';

const options = { clock: () => 1_000 } as TokenBudgetModuleOptions;

/** A plain object that forwards every operation of an adapter (a decorator, as a metrics wrapper would be); `hit` only when asked. */
function forwarding(inner: MemoryAdapter, withHit: boolean): StorageAdapter {
  const wrapper: StorageAdapter = {
    reserve: (request) => inner.reserve(request),
    commit: (request) => inner.commit(request),
    release: (request) => inner.release(request),
    read: (counters, now) => inner.read(counters, now),
    delete: (keys) => inner.delete(keys),
  };
  if (withHit) wrapper.hit = (request) => inner.hit(request);
  return wrapper;
}

const admittedOf = (storage: TierThrottlerStorage, hits: number) =>
  Array.from({ length: hits }, () => storage.hit('tokenbudget:rate:{user:42}', 60_000, 3, 0)).map(
    (record) => !(record as { isBlocked: boolean }).isBlocked,
  );

describe('TierThrottlerStorage finds rate windows by method, not by class', () => {
  let memory: MemoryAdapter;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    memory = new MemoryAdapter();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    memory.onModuleDestroy();
    warn.mockRestore();
  });

  it('counts in the adapter itself: two throttler storages on one MemoryAdapter share one window, synchronously', () => {
    const [a, b] = [new TierThrottlerStorage(memory, options), new TierThrottlerStorage(memory, options)];
    expect(a.windows).toBe(memory);
    expect(admittedOf(a, 2)).toEqual([true, true]);
    expect(admittedOf(b, 2)).toEqual([true, false]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('keeps shared windows through wrappers that forward hit (no instanceof anywhere)', () => {
    const [a, b] = [
      new TierThrottlerStorage(forwarding(memory, true), options),
      new TierThrottlerStorage(forwarding(memory, true), options),
    ];
    expect(admittedOf(a, 2)).toEqual([true, true]);
    expect(admittedOf(b, 2)).toEqual([true, false]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('falls back to per-process windows, with a warning, for an adapter without hit', () => {
    const [a, b] = [
      new TierThrottlerStorage(forwarding(memory, false), options),
      new TierThrottlerStorage(forwarding(memory, false), options),
    ];
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0][0]).toContain('has no hit(request) method, so tier rate limits are counted in this process only');
    expect(admittedOf(a, 2)).toEqual([true, true]);
    expect(admittedOf(b, 2)).toEqual([true, true]); // each its own windows
    expect(admittedOf(a, 2)).toEqual([true, false]);
    a.onApplicationShutdown(); // its own windows are closed (and emptied)
    expect(admittedOf(a, 1)).toEqual([true]);
    b.onApplicationShutdown();
  });
});
