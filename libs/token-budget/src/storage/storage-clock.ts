import type { StorageAdapter } from './storage-adapter.interface';

/** The storage's own clock, bound, when it has one (RedisAdapter on the server's time). */
export function storageClock(storage: StorageAdapter): (() => number) | undefined {
  return typeof storage.now === 'function' ? () => (storage.now as () => number).call(storage) : undefined;
}
