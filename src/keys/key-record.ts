/**
 * A virtual key as stored: who it acts for, with which tier and budget. The plain key is never
 * stored; the record is filed under its SHA-256 digest.
 */
export interface KeyRecord {
  /** Public id of the key (`key_…`): what the admin API, logs and the `key` budget use. */
  id: string;
  userId: string;
  tenantId: string;
  /** Tier name; unset means the tiers' default. */
  tier?: string;
  /** Tokens per month this key may spend on its own budget; 0 = unlimited. */
  tokenBudget: number;
  /** A label for people (e.g. `ci-bot`). */
  name?: string;
  /** ISO 8601 time of creation. */
  createdAt: string;
  /** ISO 8601 time of revocation; a revoked key is refused. */
  revokedAt?: string;
}
