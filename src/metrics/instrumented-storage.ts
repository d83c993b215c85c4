import type { StorageAdapter } from 'nestjs-token-budget';
import type { GatewayMetrics } from './gateway-metrics';

const OPERATIONS = new Set<string>(['reserve', 'commit', 'release', 'renew', 'read', 'delete', 'grant', 'setLimit', 'list', 'unindex']);

type AnyFn = (...args: unknown[]) => unknown;
const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/**
 * The adapter, seen through a Proxy that times `reserve` and `commit` and counts failed calls of
 * every operation. A Proxy rather than a wrapper class keeps the adapter's identity: the library
 * still recognises a RedisAdapter (to share tier rates through its client) or a MemoryAdapter, and
 * Nest still calls its lifecycle hooks. Synchronous adapters stay synchronous.
 */
export function instrumentStorage<T extends StorageAdapter>(adapter: T, metrics: GatewayMetrics): T {
  const wrapped = new Map<string, AnyFn>();
  return new Proxy(adapter, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || !OPERATIONS.has(property) || typeof value !== 'function') return value;
      let fn = wrapped.get(property);
      if (!fn) wrapped.set(property, (fn = timed(property, value as AnyFn, target, metrics)));
      return fn;
    },
  });
}

function timed(operation: string, fn: AnyFn, target: object, metrics: GatewayMetrics): AnyFn {
  const histogram = operation === 'reserve' ? metrics.reservationSeconds : operation === 'commit' ? metrics.commitSeconds : undefined;
  const failed = () => metrics.storageErrors.inc({ operation });
  return (...args) => {
    const started = process.hrtime.bigint();
    const observe = () => histogram?.observe(Number(process.hrtime.bigint() - started) / 1e9);
    let result: unknown;
    try {
      result = fn.apply(target, args);
    } catch (error) {
      failed();
      throw error;
    }
    if (!isThenable(result)) {
      observe();
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        observe();
        return value;
      },
      (error: unknown) => {
        failed();
        throw error;
      },
    );
  };
}
