import type { Cluster, Redis } from 'ioredis';
import type { KeyRecord } from './key-record';
import type { KeyStore } from './key-store';

/**
 * Files the id index and the record together, unless the id is taken: one atomic step, so a key
 * is never half-created, and two instances seeding the same key at once store it once.
 * KEYS[1] index (hash id -> digest), KEYS[2] record; ARGV[1] id, ARGV[2] digest, then field/value pairs.
 */
const ADD_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
return 1
`;

type KeyStoreClient = (Redis | Cluster) & {
  tokenBudgetAddKey(index: string, record: string, ...args: string[]): Promise<number>;
};

/** Options of RedisKeyStore. */
export interface RedisKeyStoreOptions {
  /**
   * Prefix of the store's Redis keys.
   * @default 'tokenbudget:gateway'
   */
  prefix?: string;
}

const FIELDS = ['id', 'userId', 'tenantId', 'tier', 'tokenBudget', 'name', 'createdAt', 'revokedAt'] as const;

/**
 * Keys in Redis, shared by every gateway instance. Each key is a hash
 * `<prefix>:{keys}:key:<sha256>` (the fields of KeyRecord) and `<prefix>:{keys}:ids` maps ids to
 * digests. The `{keys}` hash tag puts them on one Cluster slot, so creation is one atomic script.
 * Nothing is cached: a lookup is one HGETALL, so a revocation holds on every instance at once.
 */
export class RedisKeyStore implements KeyStore {
  private readonly base: string;
  private readonly index: string;
  private readonly client: KeyStoreClient;

  /** `client` stays the caller's to close. */
  constructor(client: Redis | Cluster, options: RedisKeyStoreOptions = {}) {
    this.base = `${options.prefix ?? 'tokenbudget:gateway'}:{keys}`;
    this.index = `${this.base}:ids`;
    if (!('tokenBudgetAddKey' in client)) client.defineCommand('tokenBudgetAddKey', { numberOfKeys: 2, lua: ADD_SCRIPT });
    this.client = client as KeyStoreClient;
  }

  /** Redis key of the record filed under `hash`. */
  recordKey(hash: string): string {
    return `${this.base}:key:${hash}`;
  }

  async add(hash: string, record: KeyRecord): Promise<boolean> {
    const fields = FIELDS.flatMap((field) => (record[field] === undefined ? [] : [field, String(record[field])]));
    return (await this.client.tokenBudgetAddKey(this.index, this.recordKey(hash), record.id, hash, ...fields)) === 1;
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    return toRecord(await this.client.hgetall(this.recordKey(hash)));
  }

  async findById(id: string): Promise<KeyRecord | undefined> {
    const hash = await this.client.hget(this.index, id);
    return hash === null ? undefined : this.findByHash(hash);
  }

  async list(): Promise<KeyRecord[]> {
    const hashes = Object.values(await this.client.hgetall(this.index));
    if (hashes.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const hash of hashes) pipeline.hgetall(this.recordKey(hash));
    const replies = (await pipeline.exec()) ?? [];
    const records: KeyRecord[] = [];
    for (const [error, fields] of replies) {
      if (error) throw error;
      const record = toRecord(fields as Record<string, string>);
      if (record) records.push(record);
    }
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async revoke(id: string, at: string): Promise<KeyRecord | undefined> {
    const hash = await this.client.hget(this.index, id);
    if (hash === null) return undefined;
    // HSETNX: the first revocation's time stays
    await this.client.hsetnx(this.recordKey(hash), 'revokedAt', at);
    return this.findByHash(hash);
  }
}

function toRecord(fields: Record<string, string>): KeyRecord | undefined {
  if (!fields.id || !fields.userId) return undefined;
  return {
    id: fields.id,
    userId: fields.userId,
    tenantId: fields.tenantId,
    tokenBudget: Number(fields.tokenBudget ?? 0),
    createdAt: fields.createdAt,
    ...(fields.tier !== undefined ? { tier: fields.tier } : {}),
    ...(fields.name !== undefined ? { name: fields.name } : {}),
    ...(fields.revokedAt !== undefined ? { revokedAt: fields.revokedAt } : {}),
  };
}
