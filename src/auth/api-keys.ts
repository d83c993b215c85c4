/** A caller of the gateway, as the API key identifies it. */
export interface GatewayUser {
  id: string;
  tenantId: string;
}

/** Demo keys the gateway accepts out of the box (printed at start-up). */
export const DEMO_KEYS: Readonly<Record<string, GatewayUser>> = {
  'sk-demo-alice': { id: 'alice', tenantId: 'demo' },
  'sk-demo-bob': { id: 'bob', tenantId: 'demo' },
};
