import { resolveRule, ResolvedRule } from '../rules';
import type { ResolvedTier } from './resolved-tier';

/** Name of the per-minute token budget a tier's `tokensPerMinute` adds. */
export const TIER_TOKENS_PER_MINUTE_RULE = 'user:tokensPerMinute';

/** True when a tier's `budgets` key names this `user` rule: its name, or (rules without a feature) its period. */
export function userRuleMatches(rule: { name: string; periodLabel: string; feature: string | undefined }, key: string): boolean {
  return rule.name === key || (rule.feature === undefined && rule.periodLabel === key);
}

/**
 * The rules of a call as a tier sees them: the limits of matching `user` rules replaced by the
 * tier's `budgets`, and its `tokensPerMinute` budget added. A replaced rule keeps its identity, so
 * it counts on the same counter with the tier's limit. Built once per rule list and tier.
 */
export class TierRules {
  private readonly cache = new WeakMap<readonly ResolvedRule[], Map<string, readonly ResolvedRule[]>>();
  private readonly perMinute = new Map<string, ResolvedRule>();
  private readonly clones = new WeakMap<ResolvedRule, Map<string, ResolvedRule>>();

  apply(rules: readonly ResolvedRule[], tier: ResolvedTier | undefined): readonly ResolvedRule[] {
    if (!tier || (tier.tokensPerMinute <= 0 && Object.keys(tier.budgets).length === 0)) return rules;
    let byTier = this.cache.get(rules);
    if (!byTier) this.cache.set(rules, (byTier = new Map()));
    let applied = byTier.get(tier.name);
    if (!applied) byTier.set(tier.name, (applied = this.build(rules, tier)));
    return applied;
  }

  private build(rules: readonly ResolvedRule[], tier: ResolvedTier): readonly ResolvedRule[] {
    const perMinute = tier.tokensPerMinute > 0 ? this.perMinuteRule(tier.tokensPerMinute) : undefined;
    let perMinuteMerged = false;
    const applied = rules.map((rule) => {
      if (rule.scope !== 'user') return rule;
      if (perMinute && rule.identity === perMinute.identity) {
        perMinuteMerged = true;
        return this.clone(rule, tier, tier.tokensPerMinute);
      }
      const key = Object.keys(tier.budgets).find((name) => userRuleMatches(rule, name));
      return key === undefined ? rule : this.clone(rule, tier, tier.budgets[key]);
    });
    if (perMinute && !perMinuteMerged) applied.push(perMinute);
    return applied;
  }

  /** One clone per rule and tier, so BudgetService's per-rule counter cache keeps working. */
  private clone(rule: ResolvedRule, tier: ResolvedTier, tokens: number): ResolvedRule {
    let byTier = this.clones.get(rule);
    if (!byTier) this.clones.set(rule, (byTier = new Map()));
    let clone = byTier.get(tier.name);
    if (!clone || clone.tokens !== tokens) byTier.set(tier.name, (clone = withLimit(rule, tokens)));
    return clone;
  }

  private perMinuteRule(tokens: number): ResolvedRule {
    let rule = this.perMinute.get(String(tokens));
    if (!rule)
      this.perMinute.set(String(tokens), (rule = resolveRule({ scope: 'user', every: '1m', tokens, name: TIER_TOKENS_PER_MINUTE_RULE })));
    return rule;
  }
}

/** The rule with another limit; the rollover cap never exceeds the new limit. */
function withLimit(rule: ResolvedRule, tokens: number): ResolvedRule {
  return { ...rule, tokens, maxCarryover: tokens > 0 ? Math.min(rule.maxCarryover, tokens) : 0 };
}
