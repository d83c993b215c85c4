import type { BudgetResponse } from '../budget-request';

/** Sets a header on an Express response or a Fastify reply, unless the app set it already. */
export function setHeaderIfMissing(res: BudgetResponse, name: string, value: string): void {
  if (typeof res?.getHeader === 'function' && res.getHeader(name) !== undefined) return;
  if (typeof res?.header === 'function' && typeof res?.raw === 'object') res.header(name, value);
  else if (typeof res?.setHeader === 'function') res.setHeader(name, value);
}
