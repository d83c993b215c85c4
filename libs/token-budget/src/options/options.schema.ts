import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Min,
  ValidateBy,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { BUDGET_PERIODS, isValidTimeZone, parseDuration } from '../periods';
import { BUDGET_SCOPES } from '../token-budget-options.interface';

const isFunction = (value: unknown) => typeof value === 'function';

function IsFunction(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isFunction', validator: { validate: isFunction, defaultMessage: () => 'must be a function' } }, options);
}

function IsNumberOrFunction(): PropertyDecorator {
  return ValidateBy({
    name: 'isNumberOrFunction',
    validator: {
      validate: (value) => isFunction(value) || (Number.isSafeInteger(value) && (value as number) >= 0),
      defaultMessage: () => 'must be a non-negative integer or a function',
    },
  });
}

function IsDuration(): PropertyDecorator {
  return ValidateBy({
    name: 'isDuration',
    validator: {
      validate: (value) => typeof value === 'string' && parseDuration(value) !== undefined,
      defaultMessage: () => "must be a positive duration such as '30s', '15m', '6h' or '2d'",
    },
  });
}

function IsIanaTimeZone(): PropertyDecorator {
  return ValidateBy({
    name: 'isIanaTimeZone',
    validator: {
      validate: (value) => typeof value === 'string' && isValidTimeZone(value),
      defaultMessage: () => "must be an IANA time zone such as 'UTC' or 'Europe/Paris'",
    },
  });
}

function IsStorageAdapter(): PropertyDecorator {
  const methods = ['reserve', 'commit', 'release', 'read', 'delete'];
  return ValidateBy({
    name: 'isStorageAdapter',
    validator: {
      validate: (value) => typeof value === 'object' && value !== null && methods.every((m) => isFunction((value as Record<string, unknown>)[m])),
      defaultMessage: () => `must be a StorageAdapter (an object with ${methods.join(', ')}), e.g. new MemoryAdapter() or new RedisAdapter(redis)`,
    },
  });
}

function NotAvailable(message: string): PropertyDecorator {
  return ValidateBy({ name: 'notAvailable', validator: { validate: (value) => value === undefined, defaultMessage: () => message } });
}

const tokenCount = { message: 'must be a non-negative integer' };

export class RolloverSchema {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsInt(tokenCount) @Min(0, tokenCount) maxCarryover?: number;
}

export class BudgetRuleSchema {
  @IsIn(BUDGET_SCOPES, { message: `must be one of: ${BUDGET_SCOPES.join(', ')}` }) scope: string;
  @IsOptional() @IsInt(tokenCount) @Min(0, tokenCount) tokens?: number;
  @IsOptional() @IsIn(BUDGET_PERIODS, { message: `must be one of: ${BUDGET_PERIODS.join(', ')}` }) period?: string;
  @IsOptional() @IsDuration() every?: string;
  @IsOptional() @IsIanaTimeZone() timezone?: string;
  @IsOptional() @ValidateNested() rollover?: RolloverSchema;
  @IsOptional() @IsFunction() id?: unknown;
  @IsOptional() @IsString() @IsNotEmpty() feature?: string;
  @IsOptional() @IsString() @IsNotEmpty() name?: string;
  @NotAvailable('USD budgets are not available in this version; set a token limit with `tokens`') costUsd?: unknown;
}

export class UserBudgetSchema {
  @IsInt(tokenCount) @Min(0, tokenCount) monthlyTokenLimit: number;
  @IsOptional() @IsFunction() extractUserId?: unknown;
  @IsOptional() @ValidateNested() rollover?: RolloverSchema;
  @IsOptional() @IsFunction() onBudgetExceeded?: unknown;
}

export class TokenBudgetOptionsSchema {
  @IsOptional() @IsStorageAdapter() storage?: unknown;
  @IsOptional() @IsString() @IsNotEmpty() @Matches(/^[^{}\s]+$/, { message: 'must not contain braces or whitespace' }) keyPrefix?: string;
  @IsOptional() @IsFunction() extractUserId?: unknown;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) budgets?: BudgetRuleSchema[];
  @IsOptional() @ValidateNested() userBudget?: UserBudgetSchema;
  @IsOptional() @IsFunction() onBudgetExceeded?: unknown;
  @IsOptional() @IsIn(['reject', 'allow'], { message: "must be 'reject' or 'allow'" }) anonymous?: string;
  @IsOptional() @IsNumberOrFunction() defaultEstimate?: unknown;
  @IsOptional() @IsFunction() usage?: unknown;
  @IsOptional() @IsInt() @Min(1, { message: 'must be at least 1 (ms)' }) leaseMs?: number;
  @IsOptional() @IsIn(['closed', 'open'], { message: "must be 'closed' or 'open'" }) failMode?: string;
  @IsOptional() @IsInt() @Min(1) maxIdLength?: number;
  @IsOptional() @IsIn(BUDGET_PERIODS, { message: `must be one of: ${BUDGET_PERIODS.join(', ')}` }) routePeriod?: string;
  @IsOptional() @IsFunction() clock?: unknown;
  /** Checked field by field by tierProblems (maps of tiers and assignments). */
  @IsOptional() tiers?: unknown;
}
