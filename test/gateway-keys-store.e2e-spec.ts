import { Cluster, Redis } from 'ioredis';
import { generateApiKey, generateKeyId, hashApiKey, seededKeyId } from '../src/keys/api-key-hash';
import type { KeyRecord } from '../src/keys/key-record';
import type { KeyStore } from '../src/keys/key-store';
import { MemoryKeyStore } from '../src/keys/memory-key.store';
import { RedisKeyStore } from '../src/keys/redis-key.store';
import { slotOf, useRedisCluster } from './fixtures/cluster';
import { testRedis, uniquePrefix } from './fixtures/storages';

const record = (id: string, userId = 'u1'): KeyRecord => ({
  id,
  userId,
  tenantId: 't1',
  tier: 'pro',
  tokenBudget: 5_000,
  name: 'ci: bot {x}',
  createdAt: new Date().toISOString(),
});

/** What every KeyStore must do, run against the memory store, one Redis and a Redis Cluster. */
function storeContract(makeStore: () => KeyStore) {
  let store: KeyStore;
  beforeEach(() => {
    store = makeStore();
  });

  it('files a record under a digest and finds it by digest and by id, fields intact', async () => {
    const hash = hashApiKey(generateApiKey());
    const rec = record(generateKeyId());
    expect(await store.add(hash, rec)).toBe(true);
    expect(await store.findByHash(hash)).toEqual(rec);
    expect(await store.findById(rec.id)).toEqual(rec);
    expect(await store.findByHash(hashApiKey(generateApiKey()))).toBeUndefined();
    expect(await store.findById('key_missing')).toBeUndefined();
  });

  it('keeps optional fields out when unset, and lists every record', async () => {
    const bare: KeyRecord = { id: generateKeyId(), userId: 'u2', tenantId: 't2', tokenBudget: 0, createdAt: new Date().toISOString() };
    await store.add(hashApiKey(generateApiKey()), bare);
    const listed = await store.list();
    expect(listed).toContainEqual(bare);
    expect(Object.keys(listed.find((r) => r.id === bare.id)!).sort()).toEqual(['createdAt', 'id', 'tenantId', 'tokenBudget', 'userId']);
  });

  it('revokes once: the first revocation time stays, an unknown id answers undefined', async () => {
    const hash = hashApiKey(generateApiKey());
    const rec = record(generateKeyId());
    await store.add(hash, rec);
    expect((await store.revoke(rec.id, '2026-11-23T10:00:00.000Z'))?.revokedAt).toBe('2026-11-23T10:00:00.000Z');
    expect((await store.revoke(rec.id, '2026-11-23T11:00:00.000Z'))?.revokedAt).toBe('2026-11-23T10:00:00.000Z');
    expect((await store.findByHash(hash))?.revokedAt).toBe('2026-11-23T10:00:00.000Z');
    expect(await store.revoke('key_missing', '2026-11-23T10:00:00.000Z')).toBeUndefined();
  });

  it('stores a key once when many instances seed it at the same moment', async () => {
    const hash = hashApiKey(`sk-seed-${uniquePrefix()}`);
    const id = seededKeyId(hash);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.add(hash, { ...record(id), name: `instance-${i}` })));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.findByHash(hash)).toMatchObject({ id, name: `instance-${winner}` });
    expect((await store.list()).filter((r) => r.id === id)).toHaveLength(1);
    // a second digest cannot take an id in use
    expect(await store.add(hashApiKey(generateApiKey()), record(id))).toBe(false);
  });
}

describe('MemoryKeyStore', () => {
  storeContract(() => new MemoryKeyStore());
});

describe('RedisKeyStore on one Redis', () => {
  const clients: Redis[] = [];
  afterAll(() => Promise.all(clients.map((c) => c.quit())));
  storeContract(() => {
    const client = testRedis();
    clients.push(client);
    return new RedisKeyStore(client, { prefix: uniquePrefix() });
  });

  it('writes only under its prefix, and no plain key', async () => {
    const client = testRedis();
    clients.push(client);
    const prefix = uniquePrefix();
    const store = new RedisKeyStore(client, { prefix });
    const plain = generateApiKey();
    await store.add(hashApiKey(plain), record(generateKeyId()));
    const keys = await client.keys(`${prefix}*`);
    expect(keys.sort()).toEqual([`${prefix}:{keys}:ids`, `${prefix}:{keys}:key:${hashApiKey(plain)}`]);
    expect(JSON.stringify(await client.hgetall(keys[1]))).not.toContain(plain);
  });
});

describe('RedisKeyStore on a Redis Cluster', () => {
  const cluster = useRedisCluster();
  let client: Cluster;
  beforeAll(() => {
    client = cluster.newClient();
  });
  storeContract(() => new RedisKeyStore(client, { prefix: uniquePrefix() }));

  it('keeps the index and every record on one slot', () => {
    const store = new RedisKeyStore(client, { prefix: 'p' });
    const slots = new Set([slotOf('p:{keys}:ids'), slotOf(store.recordKey(hashApiKey('a'))), slotOf(store.recordKey(hashApiKey('b')))]);
    expect(slots.size).toBe(1);
  });
});
