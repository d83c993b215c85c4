import { resolveRule } from '../rules';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import { resolveTier } from '../tiers/resolved-tier';

const number = (n: number) => n.toLocaleString('en-US');

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

/** What a (valid) config says, as the lines `token-budget validate-config` prints. */
export function describeConfig(options: TokenBudgetModuleOptions): string[] {
  const out: string[] = [];
  const budgets = [...(options.budgets ?? [])];
  if (options.userBudget) budgets.push({ scope: 'user', period: 'month', tokens: options.userBudget.monthlyTokenLimit, rollover: options.userBudget.rollover });
  out.push(`budgets (${budgets.length}):`);
  for (const rule of budgets.map((b) => resolveRule(b, options.routePeriod))) {
    const limit = rule.tokens > 0 ? `${number(rule.tokens)} tokens` : 'unlimited (counted)';
    const rollover = rule.maxCarryover > 0 ? `, rollover up to ${number(rule.maxCarryover)}` : '';
    out.push(`  ${rule.name}: ${rule.scope}${rule.feature ? ` (feature ${rule.feature})` : ''}, per ${rule.periodLabel}${rule.zoneSuffix ? ` in ${rule.zoneSuffix.slice(1)}` : ''}, ${limit}${rollover}`);
  }
  const tiers = options.tiers;
  if (!tiers) {
    out.push('tiers: none');
    return out;
  }
  const enforce = tiers.enforce ?? 'reject';
  out.push(`tiers (${Object.keys(tiers.definitions).length}, default ${tiers.default}, enforce ${enforce}${enforce === 'queue' ? ` up to ${number(tiers.maxQueueMs ?? 10_000)} ms` : ''}):`);
  for (const [name, definition] of Object.entries(tiers.definitions)) {
    const tier = resolveTier(name, definition);
    const parts = [tier.limit > 0 ? `${number(tier.limit)} requests per ${duration(tier.ttlMs)}` : 'no request limit'];
    if (tier.burst > 0) parts.push(`burst ${number(tier.burst)}`);
    for (const [budget, tokens] of Object.entries(tier.budgets)) parts.push(`budget ${budget} ${tokens > 0 ? `${number(tokens)} tokens` : 'unlimited'}`);
    if (tier.tokensPerMinute > 0) parts.push(`${number(tier.tokensPerMinute)} tokens per minute`);
    if (tier.degradeTo) parts.push(`degrades to ${tier.degradeTo}`);
    out.push(`  ${name}: ${parts.join(', ')}`);
  }
  const byTier = new Map<string, string[]>(Object.keys(tiers.definitions).map((name) => [name, []]));
  for (const [user, tier] of Object.entries(tiers.assignments ?? {})) byTier.get(tier)?.push(user);
  out.push(`assignments (${Object.keys(tiers.assignments ?? {}).length}):`);
  for (const [tier, users] of byTier) {
    const shown = users.slice(0, 10).join(', ') + (users.length > 10 ? `, … ${users.length - 10} more` : '');
    out.push(`  ${tier}: ${users.length} user${users.length === 1 ? '' : 's'}${users.length ? ` (${shown})` : ''}${tier === tiers.default ? ' + everyone unassigned' : ''}`);
  }
  return out;
}
