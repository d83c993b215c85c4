import { InvalidUsageError } from '../usage/invalid-usage.error';
import { isRecord } from './body-fields';
import type { RequestBodyEstimate } from './estimate-request-body';
import type { EstimateInput } from './usage-estimate';

/**
 * Tokens to hold for an estimate: the number itself, or `inputTokens + outputTokens`. Throws
 * {@link InvalidUsageError} when a field is not a non-negative integer.
 */
export function tokensOf(estimate: EstimateInput): number {
  if (typeof estimate !== 'object' || estimate === null) return estimate;
  const { inputTokens, outputTokens } = estimate;
  for (const [name, value] of [['inputTokens', inputTokens], ['outputTokens', outputTokens]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw InvalidUsageError.create(`estimate.${name} is ${typeof value === 'number' ? value : JSON.stringify(value)}, expected a non-negative integer`);
    }
  }
  return inputTokens + outputTokens;
}

/** Whether an estimate was read from a request body (so its output limit can be capped). */
export function isBodyEstimate(estimate: EstimateInput): estimate is RequestBodyEstimate {
  return isRecord(estimate) && typeof (estimate as Partial<RequestBodyEstimate>).shape === 'string';
}
