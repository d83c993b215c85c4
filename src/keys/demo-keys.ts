import type { ConfigService } from '@nestjs/config';
import type { KeySeed } from './key-seed';

/** Demo keys the gateway seeds into its key store at boot (hashed like any key) and prints at start-up. */
export const DEMO_KEYS: Readonly<Record<string, KeySeed>> = {
  'sk-demo-alice': { id: 'alice', tenantId: 'demo', tier: 'free' },
  'sk-demo-bob': { id: 'bob', tenantId: 'demo', tier: 'pro' },
};

/** The upstream variables that are set (`UPSTREAM_OPENAI_URL`, `UPSTREAM_ANTHROPIC_URL`): none when every call goes to the built-in mock. */
export function realUpstreamVariables(config: ConfigService): string[] {
  return ['UPSTREAM_OPENAI_URL', 'UPSTREAM_ANTHROPIC_URL'].filter((name) => !!config.get<string>(name));
}

/**
 * The keys seeded at boot when none are given: the demo keys when `DEMO_KEYS` is `1`/`true`, none
 * when it is `0`/`false`; unset, the demo keys only when every upstream is the built-in mock, so no
 * publicly known key ever reaches a real provider under the server's key.
 */
export function defaultKeySeeds(config: ConfigService): Readonly<Record<string, KeySeed>> {
  const flag = config.get<string>('DEMO_KEYS');
  const enabled = flag === undefined ? realUpstreamVariables(config).length === 0 : flag === '1' || flag === 'true';
  return enabled ? DEMO_KEYS : {};
}
