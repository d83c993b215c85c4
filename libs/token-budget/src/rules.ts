import { PeriodCalculator } from './periods';
import type { BudgetRule, BudgetScope, IdResolver } from './token-budget-options.interface';

/** A budget rule ready for the hot path: defaults applied, period calculator built once. */
export interface ResolvedRule {
  readonly scope: BudgetScope;
  /** 0 = unlimited. */
  readonly tokens: number;
  readonly maxCarryover: number;
  readonly name: string;
  /** Only requests of this feature count; also part of the key. */
  readonly feature: string | undefined;
  /** `period` name or `every` duration, for reports. */
  readonly periodLabel: string;
  /** Key suffix that keeps rules of one scope and period label in different time zones apart. */
  readonly zoneSuffix: string;
  readonly calculator: PeriodCalculator;
  readonly id: IdResolver | undefined;
}

/** Applies a rule's defaults. `defaultPeriod` is used when the rule names neither period nor every. */
export function resolveRule(rule: BudgetRule, defaultPeriod: BudgetRule['period'] = 'month'): ResolvedRule {
  const tokens = rule.tokens ?? 0;
  const period = rule.every === undefined ? (rule.period ?? defaultPeriod) : undefined;
  const rolloverOn = rule.rollover !== undefined && rule.rollover.enabled !== false && tokens > 0;
  const periodLabel = rule.every ?? period ?? 'month';
  const zone = rule.timezone && rule.timezone !== 'UTC' && rule.timezone !== 'Etc/UTC' ? rule.timezone : undefined;
  return {
    scope: rule.scope,
    tokens,
    maxCarryover: rolloverOn ? (rule.rollover?.maxCarryover ?? tokens) : 0,
    name: rule.name ?? `${rule.scope}${rule.feature ? `:${rule.feature}` : ''}:${periodLabel}${zone ? `@${zone}` : ''}`,
    feature: rule.feature,
    periodLabel,
    zoneSuffix: zone ? `@${zone}` : '',
    calculator: new PeriodCalculator({ period, every: rule.every, timezone: rule.timezone }),
    id: rule.id,
  };
}

/** The identity of a rule's counter (two rules with one identity would count the same tokens twice). */
export function ruleIdentity(rule: ResolvedRule): string {
  return `${rule.scope}|${rule.feature ?? ''}|${rule.periodLabel}|${rule.zoneSuffix}`;
}
