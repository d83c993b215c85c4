/** Where RequestPolicyGuard leaves the USD of the priced server tools a request enables. */
const FEES = Symbol('gatewayPolicyFeesUsd');

type WithFees = { [FEES]?: number };

export function setRequestFees(req: object, usd: number): void {
  (req as WithFees)[FEES] = usd;
}

/** The module's `requestFeesUsd`: the fees the policy priced for this request (held and charged on cost budgets). */
export function requestFeesOf(req: unknown): number | undefined {
  return typeof req === 'object' && req !== null ? (req as WithFees)[FEES] : undefined;
}
