import { MemoryAdapter, MemoryRateWindow, RateWindowStore } from 'nestjs-token-budget';
import { describeStorageAdapter } from 'nestjs-token-budget/testing';

/**
 * MemoryAdapter with rate windows: its own `hit` when it has one, else a MemoryRateWindow beside it
 * (as an adapter of another store that implements RateWindowStore would carry them).
 */
function withRateWindows(adapter: MemoryAdapter): MemoryAdapter & RateWindowStore {
  if (typeof (adapter as Partial<RateWindowStore>).hit === 'function') return adapter as MemoryAdapter & RateWindowStore;
  const windows = new MemoryRateWindow();
  const destroy = adapter.onModuleDestroy.bind(adapter);
  return Object.assign(adapter, {
    hit: windows.hit.bind(windows),
    onModuleDestroy: () => {
      windows.close();
      destroy();
    },
  });
}

// capabilities found by method on an adapter made at registration (renew, grant, setLimit, list, unindex, hit);
// MemoryAdapter commits synchronously and never retries, so it does not declare idempotentCommit
describeStorageAdapter('MemoryAdapter', {
  create: () => withRateWindows(new MemoryAdapter()),
  destroy: (adapter) => adapter.onModuleDestroy(),
});
