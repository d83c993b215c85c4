import { nanosToUsd } from '../pricing/money';
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
  if (options.userBudget)
    budgets.push({ scope: 'user', period: 'month', tokens: options.userBudget.monthlyTokenLimit, rollover: options.userBudget.rollover });
  out.push(`budgets (${budgets.length}):`);
  for (const rule of budgets.map((b) => resolveRule(b, options.routePeriod))) {
    const limits = [];
    if (rule.tokens > 0) limits.push(`${number(rule.tokens)} tokens`);
    if (rule.costLimit > 0) limits.push(`$${nanosToUsd(rule.costLimit)} USD`);
    if (!limits.length) limits.push('unlimited (counted)');
    if (rule.maxCarryover > 0) limits.push(`rollover up to ${number(rule.maxCarryover)}`);
    if (rule.thresholds.length) limits.push(`thresholds ${rule.thresholds.map((f) => `${Math.round(f * 1000) / 10}%`).join(', ')}`);
    if (rule.soft) limits.push('warns only (onExceeded: warn)');
    out.push(
      `  ${rule.name}: ${rule.scope}${rule.feature ? ` (feature ${rule.feature})` : ''}, per ${rule.periodLabel}${rule.zoneSuffix ? ` in ${rule.zoneSuffix.slice(1)}` : ''}, ${limits.join(', ')}`,
    );
  }
  out.push(...describeCalls(options));
  const tiers = options.tiers;
  if (!tiers) {
    out.push('tiers: none');
    return out;
  }
  const enforce = tiers.enforce ?? 'reject';
  out.push(
    `tiers (${Object.keys(tiers.definitions).length}, default ${tiers.default}, enforce ${enforce}${enforce === 'queue' ? ` up to ${number(tiers.maxQueueMs ?? 10_000)} ms` : ''}):`,
  );
  for (const [name, definition] of Object.entries(tiers.definitions)) {
    const tier = resolveTier(name, definition);
    const parts = [tier.limit > 0 ? `${number(tier.limit)} requests per ${duration(tier.ttlMs)}` : 'no request limit'];
    if (tier.burst > 0) parts.push(`burst ${number(tier.burst)}`);
    for (const [budget, tokens] of Object.entries(tier.budgets))
      parts.push(`budget ${budget} ${tokens > 0 ? `${number(tokens)} tokens` : 'unlimited'}`);
    if (tier.tokensPerMinute > 0) parts.push(`${number(tier.tokensPerMinute)} tokens per minute`);
    if (tier.degradeTo) parts.push(`degrades to ${tier.degradeTo}`);
    out.push(`  ${name}: ${parts.join(', ')}`);
  }
  const byTier = new Map<string, string[]>(Object.keys(tiers.definitions).map((name) => [name, []]));
  for (const [user, tier] of Object.entries(tiers.assignments ?? {})) byTier.get(tier)?.push(user);
  out.push(`assignments (${Object.keys(tiers.assignments ?? {}).length}):`);
  for (const [tier, users] of byTier) {
    const shown = users.slice(0, 10).join(', ') + (users.length > 10 ? `, … ${users.length - 10} more` : '');
    out.push(
      `  ${tier}: ${users.length} user${users.length === 1 ? '' : 's'}${users.length ? ` (${shown})` : ''}${tier === tiers.default ? ' + everyone unassigned' : ''}`,
    );
  }
  return out;
}

/** The options that price calls and shape admission, as lines, when the file sets any. */
function describeCalls(options: TokenBudgetModuleOptions): string[] {
  const out: string[] = [];
  const models = Object.keys(options.pricing ?? {});
  const pricing = [];
  if (models.length)
    pricing.push(
      `${models.length} model${models.length === 1 ? '' : 's'} priced in the file (${models.slice(0, 10).join(', ')}${models.length > 10 ? ', …' : ''})`,
    );
  if (options.defaultModel) pricing.push(`default model ${options.defaultModel}`);
  if (pricing.length) out.push(`pricing: ${pricing.join(', ')}`);
  const admission = [];
  if (options.reservationPolicy) admission.push(`reservationPolicy ${options.reservationPolicy}`);
  if (options.stopStreamWhenExhausted) admission.push('stopStreamWhenExhausted');
  if (admission.length) out.push(`admission: ${admission.join(', ')}`);
  return out;
}
