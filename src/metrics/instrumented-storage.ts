import type { StorageAdapter } from 'nestjs-token-budget';
import type { GatewayMetrics } from './gateway-metrics';

const OPERATIONS = new Set<string>(['reserve', 'commit', 'release', 'renew', 'read', 'delete', 'grant', 'setLimit', 'list', 'unindex']);

type AnyFn = (...args: unknown[]) => unknown;
const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/**
 * The adapter, seen through a Proxy that times `reserve` and `commit` and counts failed calls of
 * every operation. The library finds an adapter's capabilities by method (`hit` for shared tier
 * rates, `now` for the server's clock, `renew`, `grant`, ...), so a wrapper must forward each one
 * the adapter has and no other; a Proxy does that for every capability, today's and any later one,
 * and for Nest's lifecycle hooks (the client's shutdown, the server clock's first sync), where a
 * wrapper class would have to list them all. Synchronous adapters stay synchronous.
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
