import type { KeyRecord } from './key-record';

/**
 * Where virtual keys live. Records are filed under the digest of the plain key (see
 * `hashApiKey`); implementations never see the plain key.
 */
export interface KeyStore {
  /** Files `record` under `hash` unless a key of that id or hash exists; true when it was stored. */
  add(hash: string, record: KeyRecord): Promise<boolean>;
  /** The record filed under `hash` (revoked ones included), or undefined. One read. */
  findByHash(hash: string): Promise<KeyRecord | undefined>;
  /** The record of a key id, or undefined. */
  findById(id: string): Promise<KeyRecord | undefined>;
  /** Every key, oldest first. */
  list(): Promise<KeyRecord[]>;
  /** Marks the key revoked at `at` (the first revocation wins); the record after, or undefined when there is no such id. */
  revoke(id: string, at: string): Promise<KeyRecord | undefined>;
}

/** DI token of the gateway's KeyStore. */
export const KeyStore = Symbol('KeyStore');
