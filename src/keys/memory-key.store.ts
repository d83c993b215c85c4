import type { KeyRecord } from './key-record';
import type { KeyStore } from './key-store';

/** Keys in process memory: one gateway instance (the zero-configuration default). */
export class MemoryKeyStore implements KeyStore {
  private readonly byHash = new Map<string, KeyRecord>();
  private readonly hashById = new Map<string, string>();

  async add(hash: string, record: KeyRecord): Promise<boolean> {
    if (this.byHash.has(hash) || this.hashById.has(record.id)) return false;
    this.byHash.set(hash, { ...record });
    this.hashById.set(record.id, hash);
    return true;
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const record = this.byHash.get(hash);
    return record && { ...record };
  }

  async findById(id: string): Promise<KeyRecord | undefined> {
    const hash = this.hashById.get(id);
    return hash === undefined ? undefined : this.findByHash(hash);
  }

  async list(): Promise<KeyRecord[]> {
    return [...this.byHash.values()].map((record) => ({ ...record }));
  }

  async revoke(id: string, at: string): Promise<KeyRecord | undefined> {
    const hash = this.hashById.get(id);
    const record = hash === undefined ? undefined : this.byHash.get(hash);
    if (!record) return undefined;
    record.revokedAt ??= at;
    return { ...record };
  }
}
