import { isTokenCount } from '../token-count';

/** Readers of untrusted request-body fields: never throw, anything unexpected reads as absent. */

export type Json = Record<string, unknown>;

export const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `value` when it is a non-negative safe integer (a token count), or a string of one (servers with
 * lax JSON validation read `"5000"` as 5000), else `undefined`.
 */
export function tokenCountOf(value: unknown): number | undefined {
  const count = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return isTokenCount(count) ? count : undefined;
}

/**
 * The larger of the token counts a body sets in two fields, `undefined` when it sets neither. A
 * server reads one of them and ignores the other, so the estimate assumes the larger.
 */
export function largerCountOf(a: unknown, b: unknown): number | undefined {
  const first = tokenCountOf(a);
  const second = tokenCountOf(b);
  return first === undefined ? second : second === undefined ? first : Math.max(first, second);
}

/**
 * `value` when it is a count above 1 (a number of completions; a numeric string too, which lax
 * servers read as its number), else 1.
 */
export function choicesOf(value: unknown): number {
  const count = tokenCountOf(value);
  return count !== undefined && count > 1 ? count : 1;
}

/**
 * The output limit to write in place of `current`: `tokens`, or `current` when that is a smaller
 * count (a limit is only ever lowered, never raised).
 */
export function loweredLimit(current: unknown, tokens: number): number {
  const count = tokenCountOf(current);
  return count !== undefined && count < tokens ? count : tokens;
}

/** The elements of `value` when it is an array, else none. */
export const itemsOf = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** JSON text of a definition (tool, schema) as the model may see it; '' when it cannot be serialised. */
export function jsonOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return ''; // too deeply nested for the serialiser: counted as nothing rather than failing the request
  }
}
