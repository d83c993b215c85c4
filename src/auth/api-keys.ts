/** A caller of the gateway, as the API key identifies it. */
export interface GatewayUser {
  id: string;
  tenantId: string;
  /** Tier of the caller, when the key sets one. */
  tier?: string;
  /** Id of the key the caller used. */
  keyId?: string;
}

/** Demo keys the gateway accepts out of the box (printed at start-up). */
export const DEMO_KEYS: Readonly<Record<string, GatewayUser>> = {
  'sk-demo-alice': { id: 'alice', tenantId: 'demo' },
  'sk-demo-bob': { id: 'bob', tenantId: 'demo' },
};
