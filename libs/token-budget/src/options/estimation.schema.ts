import { IsOptional, ValidateBy, validateSync } from 'class-validator';
import { IsTokenCount } from './is-token-count';

const isTokenCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A token total, a `{ inputTokens, outputTokens, model? }` estimate, or a function. */
export function IsEstimate(): PropertyDecorator {
  return ValidateBy({
    name: 'isEstimate',
    validator: {
      validate: (value) =>
        typeof value === 'function' ||
        isTokenCount(value) ||
        (isRecord(value) && isTokenCount(value.inputTokens) && isTokenCount(value.outputTokens) && (value.model === undefined || typeof value.model === 'string')),
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

/** The estimation options of a `@TokenBudget()` route. */
export class RouteEstimationSchema {
  @IsOptional() @IsEstimate() estimate?: unknown;
  @IsOptional() @IsTokenCount() defaultMaxOutputTokens?: number;
  @IsOptional() @IsCapMaxTokens() capMaxTokens?: unknown;
}

/** Problems with a route's estimation options, one `@TokenBudget() of <where>.<field>: <problem>` line each. */
export function routeEstimationProblems(options: { estimate?: unknown; defaultMaxOutputTokens?: unknown; capMaxTokens?: unknown }, where: string): string[] {
  const schema = Object.assign(new RouteEstimationSchema(), {
    estimate: options.estimate,
    defaultMaxOutputTokens: options.defaultMaxOutputTokens,
    capMaxTokens: options.capMaxTokens,
  });
  return validateSync(schema).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => `@TokenBudget() of ${where}.${error.property}: ${message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message}`),
  );
}
