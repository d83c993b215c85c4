import { IsBoolean, IsOptional, ValidateBy, validateSync } from 'class-validator';
import { IsTokenCount } from './is-token-count';
import { isTokenCount } from '../token-count';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A token total, a `{ inputTokens, outputTokens, model? }` estimate, or a function. */
export function IsEstimate(): PropertyDecorator {
  return ValidateBy({
    name: 'isEstimate',
    validator: {
      validate: (value) =>
        typeof value === 'function' ||
        isTokenCount(value) ||
        (isRecord(value) &&
          isTokenCount(value.inputTokens) &&
          isTokenCount(value.outputTokens) &&
          (value.model === undefined || typeof value.model === 'string')),
      defaultMessage: () => 'must be a non-negative integer, { inputTokens, outputTokens, model? } of non-negative integers, or a function',
    },
  });
}

/** `true`, `false` or `{ minOutputTokens?: positive integer }`. */
export function IsCapMaxTokens(): PropertyDecorator {
  return ValidateBy({
    name: 'isCapMaxTokens',
    validator: {
      validate: (value) =>
        typeof value === 'boolean' ||
        (isRecord(value) &&
          Object.keys(value).every((key) => key === 'minOutputTokens') &&
          (value.minOutputTokens === undefined || (isTokenCount(value.minOutputTokens) && (value.minOutputTokens as number) >= 1))),
      defaultMessage: () => 'must be true, false or { minOutputTokens } with minOutputTokens a positive integer',
    },
  });
}

const isPositiveCount = (value: unknown): boolean => isTokenCount(value) && (value as number) >= 1;

/** `true`, `false` or `{ share?: (0, 1], minOutputTokens?: positive integer, maxOutputTokens?: positive integer }`. */
export function IsFairHolds(): PropertyDecorator {
  return ValidateBy({
    name: 'isFairHolds',
    validator: {
      validate: (value) =>
        typeof value === 'boolean' ||
        (isRecord(value) &&
          Object.keys(value).every((key) => key === 'share' || key === 'minOutputTokens' || key === 'maxOutputTokens') &&
          (value.share === undefined || (typeof value.share === 'number' && value.share > 0 && value.share <= 1)) &&
          (value.minOutputTokens === undefined || isPositiveCount(value.minOutputTokens)) &&
          (value.maxOutputTokens === undefined || isPositiveCount(value.maxOutputTokens))),
      defaultMessage: () =>
        'must be true, false or { share, minOutputTokens, maxOutputTokens } with share in (0, 1] and the token counts positive integers',
    },
  });
}

/** `false` or `{ inputFactor?: number >= 1 }`. */
export function IsPlausibleUsage(): PropertyDecorator {
  return ValidateBy({
    name: 'isPlausibleUsage',
    validator: {
      validate: (value) =>
        value === false ||
        (isRecord(value) &&
          Object.keys(value).every((key) => key === 'inputFactor') &&
          (value.inputFactor === undefined ||
            (typeof value.inputFactor === 'number' && Number.isFinite(value.inputFactor) && value.inputFactor >= 1))),
      defaultMessage: () => 'must be false or { inputFactor } with inputFactor a finite number of at least 1',
    },
  });
}

/** The estimation options of a `@TokenBudget()` route. */
export class RouteEstimationSchema {
  @IsOptional() @IsEstimate() estimate?: unknown;
  @IsOptional() @IsTokenCount() defaultMaxOutputTokens?: number;
  @IsOptional() @IsCapMaxTokens() capMaxTokens?: unknown;
  @IsOptional() @IsFairHolds() fairHolds?: unknown;
  @IsOptional() @IsBoolean() enforceOutputLimit?: unknown;
}

/** Problems with a route's estimation options, one `@TokenBudget() of <where>.<field>: <problem>` line each. */
export function routeEstimationProblems(
  options: {
    estimate?: unknown;
    defaultMaxOutputTokens?: unknown;
    capMaxTokens?: unknown;
    fairHolds?: unknown;
    enforceOutputLimit?: unknown;
  },
  where: string,
): string[] {
  const schema = Object.assign(new RouteEstimationSchema(), {
    estimate: options.estimate,
    defaultMaxOutputTokens: options.defaultMaxOutputTokens,
    capMaxTokens: options.capMaxTokens,
    fairHolds: options.fairHolds,
    enforceOutputLimit: options.enforceOutputLimit,
  });
  return validateSync(schema).flatMap((error) =>
    Object.values(error.constraints ?? {}).map(
      (message) =>
        `@TokenBudget() of ${where}.${error.property}: ${message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message}`,
    ),
  );
}
