import { Usage } from './usage.interface';
import { UsageReading } from './usage-reading';
import { isTokenCount } from '../token-count';

export type UnknownRecord = Record<string, unknown>;

/** Raised inside a reader for an invalid usage field; `guardReading` turns it into `malformed`. */
class UsageFieldError extends Error {}

/** True for a non-null, non-array object. Never throws (a revoked proxy gives `false`). */
export function isRecord(value: unknown): value is UnknownRecord {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return !Array.isArray(value);
  } catch {
    return false;
  }
}

/** `value[key]`, or `undefined` when `value` is not an object or the read throws. */
export function peek(value: unknown, key: string): unknown {
  if (!isRecord(value)) return undefined;
  try {
    return value[key];
  } catch {
    return undefined;
  }
}

/** True when `value` is an object with `key` (read without calling a getter). Never throws. */
export function hasKey(value: unknown, key: string): boolean {
  if (!isRecord(value)) return false;
  try {
    return key in value;
  } catch {
    return false;
  }
}

/** Short, human-readable description of any value, for error messages. Never throws. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `the bigint ${value}n`;
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      return isRecord(value) ? 'an object' : 'an array';
  }
}

/** Message of a caught error. Never throws. */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'unknown error';
  }
}

function fieldPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function invalidField(path: string, value: unknown): never {
  throw new UsageFieldError(`${path} is ${describeValue(value)}`);
}

/** Reads a count that must be there: missing or `null` is invalid. */
export function requiredCount(record: UnknownRecord, key: string, path: string): number {
  const value = record[key];
  if (!isTokenCount(value)) invalidField(fieldPath(path, key), value);
  return value;
}

/** Reads an optional count: missing or `null` gives `undefined`. */
export function optionalCount(record: UnknownRecord | undefined, key: string, path: string): number | undefined {
  if (record === undefined) return undefined;
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (!isTokenCount(value)) invalidField(fieldPath(path, key), value);
  return value;
}

/** Reads an optional nested object such as `prompt_tokens_details`: missing or `null` gives `undefined`. */
export function optionalRecord(record: UnknownRecord, key: string, path: string): UnknownRecord | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) invalidField(fieldPath(path, key), value);
  return value;
}

/** Sum of counts; invalid when it is past `Number.MAX_SAFE_INTEGER`. */
export function addCounts(label: string, ...counts: number[]): number {
  const sum = counts.reduce((total, count) => total + count, 0);
  if (!Number.isSafeInteger(sum)) throw new UsageFieldError(`${label} add up past Number.MAX_SAFE_INTEGER`);
  return sum;
}

/** `result.model` when it is a string. */
export function modelOf(result: unknown): string | undefined {
  const model = peek(result, 'model');
  return typeof model === 'string' ? model : undefined;
}

/** Copy of `usage` without the keys whose value is `undefined`. */
export function compactUsage(usage: Usage): Usage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== undefined)) as unknown as Usage;
}

/** `{ kind: 'usage' }` reading for `usage`, with undefined optional keys dropped. */
export function usageFound(usage: Usage): UsageReading {
  return { kind: 'usage', usage: compactUsage(usage) };
}

/**
 * Runs a reader body so that it never throws: an invalid field becomes `malformed` with its
 * reason, and any other error (e.g. a throwing getter) becomes `malformed` too.
 */
export function guardReading(read: () => UsageReading): UsageReading {
  try {
    return read();
  } catch (error) {
    const reason = error instanceof UsageFieldError ? error.message : `usage could not be read (${describeError(error)})`;
    return { kind: 'malformed', reason };
  }
}
