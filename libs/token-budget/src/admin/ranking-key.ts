import { escapeId } from '../keys';
import type { ResolvedRule } from '../rules';

/**
 * Key of the ranking (a sorted set of subject ids by committed tokens) of one rule in one period:
 * `<prefix>:rank:{<rule identity>}:<period>`. Its own hash tag: on a Cluster it lives on one slot,
 * apart from the counters.
 */
export function rankingKey(prefix: string, rule: ResolvedRule, periodKey: string): string {
  return `${prefix}:rank:{${escapeId(rule.identity)}}:${periodKey}`;
}

/** Field of a rule's token limit in a subject's override hash (`<prefix>:budget:{<scope>:<id>}:limits`). */
export function overrideField(rule: ResolvedRule): string {
  return `t:${rule.identity}`;
}
