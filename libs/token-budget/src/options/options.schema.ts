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
import { MAX_EXACT_USD, MIN_USD_LIMIT } from '../pricing/money';
import { BUDGET_SCOPES } from '../budget-scope';
import { IsCapMaxTokens, IsEstimate, IsFairHolds, IsPlausibleUsage } from './estimation.schema';
import { IsTokenCount } from './is-token-count';

const isFunction = (value: unknown) => typeof value === 'function';

function IsFunction(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isFunction', validator: { validate: isFunction, defaultMessage: () => 'must be a function' } }, options);
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
      validate: (value) =>
        typeof value === 'object' && value !== null && methods.every((m) => isFunction((value as Record<string, unknown>)[m])),
      defaultMessage: () =>
        `must be a StorageAdapter (an object with ${methods.join(', ')}), e.g. new MemoryAdapter() or new RedisAdapter(redis)`,
    },
  });
}

function IsThresholds(): PropertyDecorator {
  return ValidateBy({
    name: 'isThresholds',
    validator: {
      validate: (value) => Array.isArray(value) && value.length <= 20 && value.every((f) => typeof f === 'number' && f > 0 && f <= 1),
      defaultMessage: () => 'must be an array of at most 20 fractions of the limit, each above 0 and at most 1, e.g. [0.8, 0.9]',
    },
  });
}

function IsUsdAmount(what: string): PropertyDecorator {
  return ValidateBy({
    name: 'isUsdAmount',
    validator: {
      validate: (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EXACT_USD,
      defaultMessage: () => `must be a finite, non-negative number of USD${what} (at most ${MAX_EXACT_USD})`,
    },
  });
}

/** A money limit: 0 (unlimited), or at least one nano-dollar (a smaller one would round to 0, unlimited). */
function IsUsdLimit(): PropertyDecorator {
  return ValidateBy({
    name: 'isUsdLimit',
    validator: {
      validate: (value) => typeof value === 'number' && (value === 0 || (value >= MIN_USD_LIMIT && value <= MAX_EXACT_USD)),
      defaultMessage: () =>
        `must be a finite, non-negative number of USD (at most ${MAX_EXACT_USD}): 0 for unlimited, else at least 0.000000001`,
    },
  });
}

const PRICING_SHAPE = "must be an object of model name to prices, e.g. { 'my-model': { input: 0.5, output: 1.5 } }";

/** Prices of one model in `pricing`, USD per million tokens. */
export class ModelPricingSchema {
  @IsUsdAmount(' per million tokens') input: number;
  @IsUsdAmount(' per million tokens') output: number;
  @IsOptional() @IsUsdAmount(' per million tokens') cachedInput?: number;
  @IsOptional() @IsUsdAmount(' per million tokens') cacheWrite?: number;
}

export class RolloverSchema {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsTokenCount() maxCarryover?: number;
}

export class BudgetRuleSchema {
  @IsIn(BUDGET_SCOPES, { message: `must be one of: ${BUDGET_SCOPES.join(', ')}` }) scope: string;
  @IsOptional() @IsTokenCount() tokens?: number;
  @IsOptional() @IsIn(BUDGET_PERIODS, { message: `must be one of: ${BUDGET_PERIODS.join(', ')}` }) period?: string;
  @IsOptional() @IsDuration() every?: string;
  @IsOptional() @IsIanaTimeZone() timezone?: string;
  @IsOptional() @ValidateNested() rollover?: RolloverSchema;
  @IsOptional() @IsFunction() id?: unknown;
  @IsOptional() @IsString() @IsNotEmpty() feature?: string;
  @IsOptional() @IsString() @IsNotEmpty() name?: string;
  @IsOptional() @IsThresholds() thresholds?: number[];
  @IsOptional() @IsIn(['reject', 'warn'], { message: "must be 'reject' or 'warn'" }) onExceeded?: string;
  @IsOptional() @IsUsdLimit() costUsd?: number;
}

export class UserBudgetSchema {
  @IsTokenCount() monthlyTokenLimit: number;
  @IsOptional() @IsFunction() extractUserId?: unknown;
  @IsOptional() @ValidateNested() rollover?: RolloverSchema;
  @IsOptional() @IsFunction() onBudgetExceeded?: unknown;
}

export class SettlementRetrySchema {
  @IsOptional() @IsInt() @Min(0) maxPending?: number;
  @IsOptional() @IsInt() @Min(0, { message: 'must be at least 0 (ms)' }) flushTimeoutMs?: number;
}

export class TokenBudgetOptionsSchema {
  @IsOptional() @IsStorageAdapter() storage?: unknown;
  @IsOptional() @IsString() @IsNotEmpty() @Matches(/^[^{}\s]+$/, { message: 'must not contain braces or whitespace' }) keyPrefix?: string;
  @IsOptional() @IsFunction() extractUserId?: unknown;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) budgets?: BudgetRuleSchema[];
  @IsOptional() @ValidateNested() userBudget?: UserBudgetSchema;
  @IsOptional() @IsFunction() onBudgetExceeded?: unknown;
  @IsOptional() @IsIn(['reject', 'allow'], { message: "must be 'reject' or 'allow'" }) anonymous?: string;
  @IsOptional() @IsEstimate() defaultEstimate?: unknown;
  @IsOptional() @IsFunction() requestFeesUsd?: unknown;
  @IsOptional() @IsTokenCount() defaultMaxOutputTokens?: number;
  @IsOptional() @IsCapMaxTokens() capMaxTokens?: unknown;
  @IsOptional() @IsFairHolds() fairHolds?: unknown;
  @IsOptional() @IsBoolean() enforceOutputLimit?: boolean;
  @IsOptional() @IsPlausibleUsage() plausibleUsage?: unknown;
  @IsOptional() @IsFunction() usage?: unknown;
  @IsOptional() @IsInt() @Min(1, { message: 'must be at least 1 (ms)' }) leaseMs?: number;
  @IsOptional() @IsIn(['closed', 'open'], { message: "must be 'closed' or 'open'" }) failMode?: string;
  @IsOptional() @IsInt() @Min(1) maxIdLength?: number;
  @IsOptional() @IsIn(BUDGET_PERIODS, { message: `must be one of: ${BUDGET_PERIODS.join(', ')}` }) routePeriod?: string;
  @IsOptional() @IsFunction() clock?: unknown;
  @IsOptional() @ValidateNested({ each: true, message: PRICING_SHAPE }) pricing?: Map<string, ModelPricingSchema>;
  @IsOptional() @IsString() @IsNotEmpty() defaultModel?: string;
  @IsOptional() @IsIn(['strict', 'clamp'], { message: "must be 'strict' or 'clamp'" }) reservationPolicy?: string;
  @IsOptional() @IsBoolean() stopStreamWhenExhausted?: boolean;
  @IsOptional() @IsInt() @Min(0, { message: 'must be at least 0 (ms; 0 = no limit)' }) maxCallDurationMs?: number;
  @IsOptional() @ValidateNested() settlementRetry?: SettlementRetrySchema;
  /** Checked field by field by tierProblems (maps of tiers and assignments). */
  @IsOptional() tiers?: unknown;
}
