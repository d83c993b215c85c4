/** A caller of the gateway, as its API key identifies it (`req.user`). */
export interface GatewayUser {
  /** User id: the `user` budgets and the tier's request rate count on it. */
  id: string;
  /** Tenant (organisation) of the user. */
  tenantId: string;
  /** Tier of the key (`free`, `pro`...); the tiers' default when unset. */
  tier?: string;
  /** Id of the virtual key the request came with: its own `key` budget counts on it. */
  keyId?: string;
}
