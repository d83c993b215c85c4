import type { KeyRecord } from '../keys/key-record';

/** A key as the admin API shows it: never its digest nor its plain value. */
export interface KeyView {
  id: string;
  name: string | null;
  user: string;
  tenant: string;
  tier: string | null;
  token_budget: number;
  created_at: string;
  revoked_at: string | null;
}

export function keyView(record: KeyRecord): KeyView {
  return {
    id: record.id,
    name: record.name ?? null,
    user: record.userId,
    tenant: record.tenantId,
    tier: record.tier ?? null,
    token_budget: record.tokenBudget,
    created_at: record.createdAt,
    revoked_at: record.revokedAt ?? null,
  };
}
