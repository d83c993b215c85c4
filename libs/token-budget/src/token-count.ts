/**
 * True for a token count a counter holds exactly: a non-negative integer up to
 * `Number.MAX_SAFE_INTEGER` (a larger one loses units in a double, and the Redis scripts could not
 * write it back as an integer). The one definition every option, usage field and storage amount
 * check goes by.
 */
export function isTokenCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
