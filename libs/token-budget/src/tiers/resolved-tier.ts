import { parseDuration } from '../periods';
import type { TierDefinition } from './tier-options.interface';

/** A tier ready for the hot path: defaults applied, `ttl` in ms. */
export interface ResolvedTier {
  readonly name: string;
  readonly limit: number;
  readonly ttlMs: number;
  readonly burst: number;
  readonly budgets: Readonly<Record<string, number>>;
  readonly tokensPerMinute: number;
  readonly degradeTo: string | undefined;
}

export const DEFAULT_TIER_TTL_MS = 60_000;

/** Applies a (validated) definition's defaults. */
export function resolveTier(name: string, definition: TierDefinition): ResolvedTier {
  const ttl = definition.ttl ?? DEFAULT_TIER_TTL_MS;
  return {
    name,
    limit: definition.limit,
    ttlMs: typeof ttl === 'string' ? (parseDuration(ttl) as number) : ttl,
    burst: definition.burst ?? 0,
    budgets: definition.budgets ?? {},
    tokensPerMinute: definition.tokensPerMinute ?? 0,
    degradeTo: definition.degradeTo,
  };
}
