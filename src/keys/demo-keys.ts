import type { KeySeed } from './key-seed';

/** Demo keys the gateway seeds into its key store at boot (hashed like any key) and prints at start-up. */
export const DEMO_KEYS: Readonly<Record<string, KeySeed>> = {
  'sk-demo-alice': { id: 'alice', tenantId: 'demo', tier: 'free' },
  'sk-demo-bob': { id: 'bob', tenantId: 'demo', tier: 'pro' },
};
