import { PeriodCalculator } from './periods';
import { usdToNanos } from './pricing/money';
import type { BudgetRule, IdResolver } from './budget-rule.interface';
import type { BudgetScope } from './budget-scope';

/** A budget rule ready for the hot path: defaults applied, period calculator built once. */
export interface ResolvedRule {
  readonly scope: BudgetScope;
  /** 0 = unlimited. */
  readonly tokens: number;
  /** Money limit in nano-dollars; 0 = unlimited. */
  readonly costLimit: number;
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
  /** Rules with one identity count the same tokens on the same counter. */
  readonly identity: string;
  /** Fractions of the effective limit that fire a `threshold` event, ascending. */
  readonly thresholds: readonly number[];
  /** `onExceeded: 'warn'`: the rule admits past its limit and reports it. */
  readonly soft: boolean;
}

/** Applies a rule's defaults. `defaultPeriod` is used when the rule names neither period nor every. */
export function resolveRule(rule: BudgetRule, defaultPeriod: BudgetRule['period'] = 'month'): ResolvedRule {
  const tokens = rule.tokens ?? 0;
  const period = rule.every === undefined ? (rule.period ?? defaultPeriod) : undefined;
  const rolloverOn = rule.rollover !== undefined && rule.rollover.enabled !== false && tokens > 0;
  const periodLabel = rule.every ?? period ?? 'month';
  const zone = rule.timezone && rule.timezone !== 'UTC' && rule.timezone !== 'Etc/UTC' ? rule.timezone : undefined;
  const zoneSuffix = zone ? `@${zone}` : '';
  return {
    identity: `${rule.scope}|${rule.feature ?? ''}|${periodLabel}|${zoneSuffix}`,
    scope: rule.scope,
    tokens,
    costLimit: rule.costUsd === undefined ? 0 : usdToNanos(rule.costUsd),
    maxCarryover: rolloverOn ? (rule.rollover?.maxCarryover ?? tokens) : 0,
    name: rule.name ?? `${rule.scope}${rule.feature ? `:${rule.feature}` : ''}:${periodLabel}${zone ? `@${zone}` : ''}`,
    feature: rule.feature,
    periodLabel,
    zoneSuffix,
    calculator: new PeriodCalculator({ period, every: rule.every, timezone: rule.timezone }),
    id: rule.id,
    thresholds: [...new Set(rule.thresholds ?? [])].sort((a, b) => a - b),
    soft: rule.onExceeded === 'warn',
  };
}
