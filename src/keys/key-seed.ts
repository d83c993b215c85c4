/**
 * A key the gateway files at boot, given by its plain value (the demo keys, or keys a test
 * passes to `AppModule.register({ keys })`). Its id derives from its digest, so instances that
 * share a store agree on it; a seed already in the store (even revoked) is left as it is.
 */
export interface KeySeed {
  /** User id. */
  id: string;
  tenantId: string;
  /** Tier name; the tiers' default when unset. */
  tier?: string;
  /** Tokens per month for this key; 0 or unset = unlimited. */
  tokenBudget?: number;
  name?: string;
}
