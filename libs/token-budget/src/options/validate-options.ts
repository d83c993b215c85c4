import { validateSync, ValidationError } from 'class-validator';
import { TokenBudgetOptionsError } from '../token-budget-options.error';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import { tierProblems } from '../tiers/tier-options.schema';
import {
  BudgetRuleSchema,
  ModelPricingSchema,
  RolloverSchema,
  SettlementRetrySchema,
  TokenBudgetOptionsSchema,
  UserBudgetSchema,
} from './options.schema';

type Plain = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Copies a plain object onto a schema instance so class-validator sees its decorators. */
function as<T extends object>(Schema: new () => T, value: unknown): unknown {
  return isPlainObject(value) ? Object.assign(new Schema(), value) : value;
}

function toSchema(options: Plain): TokenBudgetOptionsSchema {
  const schema = Object.assign(new TokenBudgetOptionsSchema(), options);
  if (Array.isArray(options.budgets)) {
    schema.budgets = options.budgets.map((rule) => {
      const ruleSchema = as(BudgetRuleSchema, rule);
      if (ruleSchema instanceof BudgetRuleSchema) ruleSchema.rollover = as(RolloverSchema, ruleSchema.rollover) as RolloverSchema;
      return ruleSchema as BudgetRuleSchema;
    });
  }
  const user = as(UserBudgetSchema, options.userBudget);
  if (user instanceof UserBudgetSchema) user.rollover = as(RolloverSchema, user.rollover) as RolloverSchema;
  schema.userBudget = user as UserBudgetSchema;
  schema.settlementRetry = as(SettlementRetrySchema, options.settlementRetry) as SettlementRetrySchema;
  if (isPlainObject(options.pricing)) {
    // a Map, so that each model's prices are validated and reported as pricing.<model>.<field>
    schema.pricing = new Map(
      Object.entries(options.pricing).map(([model, prices]) => [model, as(ModelPricingSchema, prices) as ModelPricingSchema]),
    );
  }
  return schema;
}

export function flatten(errors: ValidationError[], parent = ''): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const path = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      if (constraint === 'whitelistValidation') {
        lines.push(`${path}: is not a known option`);
        continue;
      }
      const text = message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message;
      lines.push(`${path}: ${text}`);
    }
    if (error.children?.length) lines.push(...flatten(error.children, path));
  }
  return lines;
}

function crossFieldProblems(options: TokenBudgetModuleOptions): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  (options.budgets ?? []).forEach((rule, i) => {
    if (!isPlainObject(rule)) return;
    const identity = [rule.scope, rule.feature ?? '', rule.every ?? rule.period ?? 'month', rule.timezone ?? 'UTC'].join('|');
    const twin = seen.get(identity);
    if (twin !== undefined)
      problems.push(`budgets[${i}]: counts the same tokens as budgets[${twin}] (same scope, feature, period and time zone); merge them`);
    else seen.set(identity, i);
    if (rule.period !== undefined && rule.every !== undefined) problems.push(`budgets[${i}]: set either period or every, not both`);
    if (rule.every !== undefined && rule.timezone !== undefined)
      problems.push(`budgets[${i}].timezone: applies to calendar periods only, not to every`);
    if (rule.rollover && rule.rollover.enabled !== false && !rule.tokens) {
      problems.push(`budgets[${i}].rollover: needs a token limit (tokens > 0) to carry anything over`);
    }
    if (rule.rollover && rule.rollover.enabled !== false && rule.period === 'lifetime') {
      problems.push(`budgets[${i}].rollover: a lifetime budget has no next period to roll over into`);
    }
  });
  return problems;
}

/**
 * Validates module options when they resolve; throws {@link TokenBudgetOptionsError} with one
 * `path: problem` line per bad field.
 */
export function validateOptions(options: unknown): TokenBudgetModuleOptions {
  const problems = optionProblems(options);
  if (problems.length) throw new TokenBudgetOptionsError(problems);
  return options as TokenBudgetModuleOptions;
}

/** The problems of module options, one `path: problem` line per bad field; empty when they are valid. */
export function optionProblems(options: unknown): string[] {
  if (!isPlainObject(options)) return ['options: must be an object'];
  const problems = flatten(validateSync(toSchema(options), { forbidUnknownValues: false, whitelist: true, forbidNonWhitelisted: true }));
  problems.push(...tierProblems(options.tiers, options.budgets, options.userBudget as TokenBudgetModuleOptions['userBudget'], flatten));
  if (!problems.length) problems.push(...crossFieldProblems(options as TokenBudgetModuleOptions));
  return problems;
}
