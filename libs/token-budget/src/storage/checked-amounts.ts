import { InvalidUsageError } from '../usage/invalid-usage.error';
import { isTokenCount } from '../token-count';

/**
 * Refuses token amounts and costs that a counter cannot hold exactly (NaN, fractions, negatives,
 * past 2^53) before an adapter writes anything: a Lua script that failed halfway would leave some
 * counters written and others not.
 */
export function assertStorable(request: { amount: number; cost: number }): void {
  if (!isTokenCount(request.amount)) {
    throw new InvalidUsageError(
      `Invalid usage: the token amount ${String(request.amount)} given to storage is not a non-negative integer; nothing was stored.`,
    );
  }
  if (!isTokenCount(request.cost)) {
    throw new InvalidUsageError(
      `Invalid cost: ${String(request.cost)} given to storage is not a non-negative integer of nano-dollars (convert USD with usdToNanos); nothing was stored.`,
    );
  }
}

/**
 * A sum of stored figures, kept at most `Number.MAX_SAFE_INTEGER` (2^53 - 1): a counter past it
 * stays there (it is exhausted for any limit, which is at most that) instead of rounding. Exact:
 * a double sum rounds monotonically, so it is past the bound only when the true sum is.
 */
export function saturated(sum: number): number {
  return sum > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : sum;
}
