import { InvalidUsageError } from './invalid-usage.error';
import { Usage } from './usage.interface';
import { compactUsage, describeError, describeValue, isRecord, UnknownRecord } from './usage-fields';
import { isTokenCount } from '../token-count';

function count(input: UnknownRecord, key: keyof Usage): number | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (!isTokenCount(value)) throw InvalidUsageError.create(`${key} is ${describeValue(value)}`);
  return value;
}

function typed<T>(input: UnknownRecord, key: keyof Usage, type: 'string' | 'boolean'): T | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== type) throw InvalidUsageError.create(`${key} is ${describeValue(value)}, not a ${type}`);
  return value as T;
}

function normalizeFields(input: UnknownRecord): Usage {
  const inputTokens = count(input, 'inputTokens');
  const outputTokens = count(input, 'outputTokens');
  const totalTokens = count(input, 'totalTokens');
  if (inputTokens === undefined && outputTokens === undefined && totalTokens === undefined) {
    throw InvalidUsageError.create('none of inputTokens, outputTokens, totalTokens is set');
  }
  const sum = (inputTokens ?? 0) + (outputTokens ?? 0);
  if (totalTokens === undefined && !Number.isSafeInteger(sum)) {
    throw InvalidUsageError.create('inputTokens + outputTokens is past Number.MAX_SAFE_INTEGER');
  }
  return compactUsage({
    inputTokens: inputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
    totalTokens: totalTokens ?? sum,
    cachedInputTokens: count(input, 'cachedInputTokens'),
    cacheWriteTokens: count(input, 'cacheWriteTokens'),
    reasoningTokens: count(input, 'reasoningTokens'),
    model: typed<string>(input, 'model', 'string'),
    provider: typed<string>(input, 'provider', 'string'),
    estimated: typed<boolean>(input, 'estimated', 'boolean'),
  });
}

/**
 * Validates usage supplied by a caller and returns it as a `Usage`. A number is a total token
 * count; an object needs at least one of `inputTokens`, `outputTokens`, `totalTokens` (missing
 * input/output count as 0, `totalTokens` defaults to their sum). Pure.
 *
 * @throws InvalidUsageError naming the invalid field, e.g. `outputTokens is -5`.
 */
export function normalizeUsageInput(input: unknown): Usage {
  if (typeof input === 'number') {
    if (!isTokenCount(input)) throw InvalidUsageError.create(`token count is ${describeValue(input)}`);
    return { inputTokens: 0, outputTokens: 0, totalTokens: input };
  }
  if (!isRecord(input)) throw InvalidUsageError.create(`got ${describeValue(input)}`);
  try {
    return normalizeFields(input);
  } catch (error) {
    if (error instanceof InvalidUsageError) throw error;
    throw InvalidUsageError.create(`usage could not be read (${describeError(error)})`);
  }
}
