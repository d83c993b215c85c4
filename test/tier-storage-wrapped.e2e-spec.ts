import { RedisAdapter, StorageAdapter, TierThrottlerStorage, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { GatewayMetrics } from '../src/metrics/gateway-metrics';
import { instrumentStorage } from '../src/metrics/instrumented-storage';
import { sharedClient, SHARED_KINDS, uniquePrefix } from './fixtures/storages';

/** A decorator that is not a RedisAdapter (no Proxy, no prototype): it forwards the operations and `hit`. */
function forwarding(inner: RedisAdapter): StorageAdapter {
  return {
    reserve: (request) => inner.reserve(request),
    commit: (request) => inner.commit(request),
    release: (request) => inner.release(request),
    read: (counters, now) => inner.read(counters, now),
    delete: (keys) => inner.delete(keys),
    hit: (request) => inner.hit(request),
  };
}

const wrappers = {
  'a plain forwarding wrapper': forwarding,
  "the gateway's metrics wrapper": (inner: RedisAdapter) => instrumentStorage(inner, new GatewayMetrics()),
};

describe.each(SHARED_KINDS)('tier rate windows through a wrapped RedisAdapter (%s)', (kind) => {
  describe.each(Object.entries(wrappers))('%s', (_name, wrap) => {
    it('two app instances, each with its own client and wrapped adapter, admit exactly the limit of one shared window', async () => {
      const clients = [sharedClient(kind), sharedClient(kind)];
      try {
        const storages = clients.map((client) => new TierThrottlerStorage(wrap(new RedisAdapter(client)), {} as TokenBudgetModuleOptions));
        const prefix = uniquePrefix();
        const users = ['a', 'b', 'c'];
        const records = await Promise.all(
          Array.from({ length: 90 }, (_, i) => {
            const user = users[i % users.length];
            return Promise.resolve(storages[i % 2].hit(`${prefix}:rate:{user:${user}}`, 60_000, 7, 0)).then((record) => ({ user, record }));
          }),
        );
        for (const user of users) expect(records.filter((x) => x.user === user && !x.record.isBlocked)).toHaveLength(7);
        const [observer] = clients;
        expect(await observer.hget(`${prefix}:rate:{user:a}`, 'c')).toBe('7');
      } finally {
        await Promise.all(clients.map((client) => client.quit()));
      }
    });
  });
});
