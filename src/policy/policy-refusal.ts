import { ApiError } from '../proxy/api-error';

/**
 * Codes of the request policy's refusals (400, in the route's provider error shape): a program
 * branches on them. `policy_refused`: a body field, tool or beta flag the policy does not let go
 * upstream; `unpriced_model`: a model the gateway cannot price on a paid upstream under a cost budget.
 */
export const POLICY_ERROR_CODES = { refused: 'policy_refused', unpricedModel: 'unpriced_model' } as const;

/** A request the policy refuses: never forwarded, never held or counted. */
export class PolicyRefusal extends ApiError {
  constructor(message: string, param: string, code: string = POLICY_ERROR_CODES.refused) {
    super(400, message, { type: 'invalid_request_error', code, param });
  }
}
