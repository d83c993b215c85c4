import { ServiceUnavailableException } from '@nestjs/common';

/** Which storage could not be reached: the budgets' (TokenBudgetGuard) or the request rates' (TierThrottlerGuard). */
export type UnavailableStorage = 'budgets' | 'rates';

const BODIES = {
  budgets: { error: 'budget_storage_unavailable', message: 'Token budgets cannot be checked right now; try again shortly.' },
  rates: { error: 'rate_storage_unavailable', message: 'Request rates cannot be checked right now; try again shortly.' },
} as const;

/**
 * 503 of a guard whose storage is unreachable under `failMode: 'closed'` (the default), with the
 * body `{ statusCode: 503, error: 'budget_storage_unavailable' | 'rate_storage_unavailable', message }`.
 * Under `failMode: 'open'` the guards admit the request instead (uncounted), logged.
 *
 * @example
 * catch (error) { if (error instanceof BudgetStorageUnavailableException) metrics.increment('budget.storage_down'); throw error; }
 */
export class BudgetStorageUnavailableException extends ServiceUnavailableException {
  constructor(readonly storage: UnavailableStorage = 'budgets') {
    super({ statusCode: 503, ...BODIES[storage] });
  }
}
