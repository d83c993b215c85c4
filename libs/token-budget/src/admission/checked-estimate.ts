import type { EstimateInput } from '../estimation/usage-estimate';
import { MAX_EXACT_USD, usdToNanos } from '../pricing/money';
import { InvalidUsageError } from '../usage/invalid-usage.error';
import { isTokenCount } from '../token-count';

/** An estimate checked and reduced to what admission holds: tokens, and the model that prices it. */
export interface CheckedEstimate {
  tokens: number;
  model: string | undefined;
  /** The estimate's `feesUsd` in nano-dollars (0 when none). */
  feesNanos: number;
}

const show = (value: unknown) => (typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)));

/**
 * Validates an estimate (a token count, or `{ inputTokens, outputTokens, model? }`) before anything
 * is held.
 * @throws InvalidUsageError naming the bad field; nothing is reserved.
 */
export function checkEstimate(estimate: unknown, name = 'estimate'): CheckedEstimate {
  if (typeof estimate === 'number') {
    if (!isTokenCount(estimate)) throw InvalidUsageError.create(`${name} is ${show(estimate)}, expected a non-negative integer`);
    return { tokens: estimate, model: undefined, feesNanos: 0 };
  }
  if (typeof estimate !== 'object' || estimate === null) {
    throw InvalidUsageError.create(`${name} is ${show(estimate)}, expected a token count or { inputTokens, outputTokens, model? }`);
  }
  const { inputTokens, outputTokens, model, feesUsd } = estimate as Partial<Exclude<EstimateInput, number>>;
  if (!isTokenCount(inputTokens))
    throw InvalidUsageError.create(`${name}.inputTokens is ${show(inputTokens)}, expected a non-negative integer`);
  if (!isTokenCount(outputTokens))
    throw InvalidUsageError.create(`${name}.outputTokens is ${show(outputTokens)}, expected a non-negative integer`);
  if (model !== undefined && typeof model !== 'string')
    throw InvalidUsageError.create(`${name}.model is ${show(model)}, expected a string`);
  if (feesUsd !== undefined && !(typeof feesUsd === 'number' && Number.isFinite(feesUsd) && feesUsd >= 0 && feesUsd <= MAX_EXACT_USD)) {
    throw InvalidUsageError.create(
      `${name}.feesUsd is ${show(feesUsd)}, expected a finite, non-negative number of USD (at most ${MAX_EXACT_USD})`,
    );
  }
  const tokens = inputTokens + outputTokens;
  if (!Number.isSafeInteger(tokens)) throw InvalidUsageError.create(`${name} totals more than Number.MAX_SAFE_INTEGER tokens`);
  return { tokens, model: model === '' ? undefined : model, feesNanos: usdToNanos(feesUsd ?? 0) };
}
