import { escapeId } from '../keys';
import type { ResolvedRule } from '../rules';

/**
 * Key of the ranking (a sorted set of subject ids by committed tokens) of one rule in one period:
 * `<prefix>:rank:{<rule identity>}:<period>`, and `…:cost` beside it by committed money. Its own
 * hash tag: on a Cluster a ranking lives on one slot, apart from the counters.
 */
export function rankingKeys(prefix: string, rule: ResolvedRule, periodKey: string): { key: string; costKey: string } {
  const key = `${prefix}:rank:{${escapeId(rule.identity)}}:${periodKey}`;
  return { key, costKey: `${key}:cost` };
}
