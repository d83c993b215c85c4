import { isRecord } from './body-fields';
import type { RequestBodyEstimate } from './estimate-request-body';
import type { EstimateInput } from './usage-estimate';

/** Whether an estimate was read from a request body (so its output limit can be capped). */
export function isBodyEstimate(estimate: EstimateInput): estimate is RequestBodyEstimate {
  return isRecord(estimate) && typeof (estimate as Partial<RequestBodyEstimate>).shape === 'string';
}
