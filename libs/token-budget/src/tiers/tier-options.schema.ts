import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Min, ValidateBy, validateSync } from 'class-validator';
import { parseDuration } from '../periods';
import type { UserBudgetOptions } from '../token-budget-options.interface';
import type { BudgetRule } from '../budget-rule.interface';
import { TIER_ENFORCE_MODES } from './tier-options.interface';
import { userRuleMatches } from './tier-rules';
import { isTokenCount } from '../token-count';

type Plain = Record<string, unknown>;
type Flatten = (errors: ReturnType<typeof validateSync>, parent: string) => string[];

const isPlainObject = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);
const count = { message: 'must be a non-negative integer' };

function IsTtl(): PropertyDecorator {
  return ValidateBy({
    name: 'isTtl',
    validator: {
      validate: (value) =>
        (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
        (typeof value === 'string' && parseDuration(value) !== undefined),
      defaultMessage: () => "must be a positive number of ms or a duration such as '30s', '1m' or '1h'",
    },
  });
}

function IsFunctionValue(): PropertyDecorator {
  return ValidateBy({
    name: 'isFunction',
    validator: { validate: (value) => typeof value === 'function', defaultMessage: () => 'must be a function' },
  });
}

/** Checks a tier definition (class-validator, like every other option). */
export class TierDefinitionSchema {
  @IsInt(count) @Min(0, count) limit: number;
  @IsOptional() @IsTtl() ttl?: number | string;
  @IsOptional() @IsInt(count) @Min(0, count) burst?: number;
  @IsOptional()
  @ValidateBy({
    name: 'isObject',
    validator: {
      validate: isPlainObject,
      defaultMessage: () => 'must be an object of token limits by budget name or period, e.g. { month: 10000 }',
    },
  })
  budgets?: Plain;
  @IsOptional() @IsInt(count) @Min(0, count) tokensPerMinute?: number;
  @IsOptional() @IsString() @IsNotEmpty() degradeTo?: string;
}

/** Checks the scalar fields of `tiers`; maps (definitions, assignments) are checked entry by entry. */
export class TierOptionsSchema {
  @ValidateBy({
    name: 'isObject',
    validator: {
      validate: isPlainObject,
      defaultMessage: () => 'must be an object of tiers by name, e.g. { free: { limit: 5, ttl: 60000 } }',
    },
  })
  definitions: unknown;
  @IsString() @IsNotEmpty() default: string;
  @IsOptional()
  @ValidateBy({
    name: 'isObject',
    validator: { validate: isPlainObject, defaultMessage: () => 'must be an object of tier names by user id' },
  })
  assignments?: unknown;
  @IsOptional() @IsFunctionValue() resolve?: unknown;
  @IsOptional() @IsInt() @Min(0, { message: 'must be a non-negative number of ms' }) cacheTtlMs?: number;
  @IsOptional() @IsInt() @Min(0, { message: 'must be a non-negative number of ms' }) resolveTimeoutMs?: number;
  @IsOptional() @IsIn(TIER_ENFORCE_MODES, { message: `must be one of: ${TIER_ENFORCE_MODES.join(', ')}` }) enforce?: string;
  @IsOptional() @IsInt() @Min(0, { message: 'must be a non-negative number of ms' }) maxQueueMs?: number;
  @IsOptional() @IsString() @IsNotEmpty() anonymousTier?: string;
}

/** `parent.key`, or `parent["key"]` when the key is not a plain name (user ids with dots, spaces...). */
export function childPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

const VALIDATION = { forbidUnknownValues: false, whitelist: true, forbidNonWhitelisted: true };

/**
 * Problems of the `tiers` option, one `path: message` line each: field errors, then names that
 * point nowhere (the default, assignments, budget overrides that match no `user` budget).
 */
export function tierProblems(tiers: unknown, budgets: unknown, userBudget: UserBudgetOptions | undefined, flatten: Flatten): string[] {
  if (tiers === undefined) return [];
  if (!isPlainObject(tiers))
    return ['tiers: must be an object such as { definitions: { free: { limit: 5, ttl: 60000 } }, default: "free" }'];
  const problems = flatten(validateSync(Object.assign(new TierOptionsSchema(), tiers), VALIDATION), 'tiers');
  const definitions = isPlainObject(tiers.definitions) ? tiers.definitions : {};
  const names = Object.keys(definitions);
  if (isPlainObject(tiers.definitions) && names.length === 0) problems.push('tiers.definitions: must define at least one tier');
  const known = names.length ? names.join(', ') : 'none';
  const userRules = userRulesOf(budgets, userBudget);
  for (const name of names) {
    const path = childPath('tiers.definitions', name);
    const definition = definitions[name];
    if (!isPlainObject(definition)) {
      problems.push(`${path}: must be an object such as { limit: 5, ttl: 60000 }`);
      continue;
    }
    problems.push(...flatten(validateSync(Object.assign(new TierDefinitionSchema(), definition), VALIDATION), path));
    if (!isPlainObject(definition.budgets)) continue;
    for (const [budget, tokens] of Object.entries(definition.budgets)) {
      const budgetPath = childPath(`${path}.budgets`, budget);
      if (!isTokenCount(tokens)) problems.push(`${budgetPath}: must be a non-negative integer (tokens; 0 = unlimited)`);
      if (!userRules.some((rule) => userRuleMatches(rule, budget))) {
        const choices = userRules.flatMap((rule) => [rule.name, ...(rule.feature === undefined ? [rule.periodLabel] : [])]);
        problems.push(
          `${budgetPath}: matches no user budget of the module; use the name or the period of one of them (${choices.length ? [...new Set(choices)].join(', ') : "there are none: add { scope: 'user', ... } to budgets"})`,
        );
      }
    }
  }
  const tierName = (value: unknown, path: string) => {
    if (typeof value === 'string' && value !== '' && names.length && !names.includes(value))
      problems.push(`${path}: unknown tier '${value}'; the tiers are: ${known}`);
  };
  tierName(tiers.default, 'tiers.default');
  tierName(tiers.anonymousTier, 'tiers.anonymousTier');
  if (isPlainObject(tiers.assignments)) {
    for (const [user, tier] of Object.entries(tiers.assignments)) {
      const path = childPath('tiers.assignments', user);
      if (typeof tier !== 'string' || tier === '') problems.push(`${path}: must be a tier name (${known})`);
      else tierName(tier, path);
    }
  }
  if (
    tiers.enforce === 'degrade' &&
    names.length &&
    !names.some((name) => isPlainObject(definitions[name]) && (definitions[name] as Plain).degradeTo !== undefined)
  ) {
    problems.push("tiers.enforce: 'degrade' needs degradeTo (a cheaper model) on at least one tier; tiers without one reject");
  }
  return problems;
}

interface UserRuleView {
  name: string;
  periodLabel: string;
  feature: string | undefined;
}

function userRulesOf(budgets: unknown, userBudget: UserBudgetOptions | undefined): UserRuleView[] {
  const rules: UserRuleView[] = [];
  const list = Array.isArray(budgets) ? [...(budgets as BudgetRule[])] : [];
  if (userBudget) list.push({ scope: 'user', period: 'month' });
  for (const rule of list) {
    if (!isPlainObject(rule) || rule.scope !== 'user') continue;
    const periodLabel = rule.every ?? rule.period ?? 'month';
    const zone = rule.timezone && rule.timezone !== 'UTC' && rule.timezone !== 'Etc/UTC' ? `@${rule.timezone}` : '';
    rules.push({
      name: rule.name ?? `user${rule.feature ? `:${rule.feature}` : ''}:${periodLabel}${zone}`,
      periodLabel,
      feature: rule.feature,
    });
  }
  return rules;
}
