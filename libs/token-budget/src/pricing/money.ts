/**
 * Money is stored and summed as integer nano-dollars (1e-9 USD), never as floats.
 *
 * Why nano and not micro: prices go down to fractions of a micro-dollar per token (gpt-4o-mini
 * input is $0.15 per million tokens, $0.00000015 a token), so micro-dollars would round almost
 * every small request. In nano-dollars a request's cost is rounded once, by less than $0.000000001,
 * and totals stay exact integers in a double up to 2^53 nano-dollars (about $9 million per counter
 * and period).
 */
export const NANOS_PER_USD = 1_000_000_000;

/** Largest amount of money a counter can hold exactly, in USD. */
export const MAX_EXACT_USD = Math.floor(Number.MAX_SAFE_INTEGER / NANOS_PER_USD);

/** Smallest non-zero money limit, in USD: one nano-dollar (a smaller one would round to 0, which means unlimited). */
export const MIN_USD_LIMIT = 1 / NANOS_PER_USD;

/** USD (a number such as 0.000123) to integer nano-dollars, rounded to the nearest nano-dollar. */
export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

/** Integer nano-dollars to USD: the double nearest the exact decimal (IEEE division rounds correctly). */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}
