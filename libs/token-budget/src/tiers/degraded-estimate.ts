import type { EstimateInput } from '../estimation/usage-estimate';
import type { DegradedRequest } from '../request-state';

/**
 * The estimate of a request served by its tier's cheaper model (`enforce: 'degrade'`): priced at
 * that model, not at the one the body names, so a cost budget holds (and a capped output limit is
 * sized by) what the call will cost. A bare token count names no model and is kept.
 */
export function servedEstimate<E extends EstimateInput>(estimate: E, degraded: DegradedRequest | undefined): E {
  if (degraded === undefined || typeof estimate !== 'object' || estimate === null || estimate.model === degraded.model) return estimate;
  return { ...estimate, model: degraded.model };
}
