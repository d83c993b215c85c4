import type { Logger } from '@nestjs/common';
import { BudgetStorageUnavailableException, UnavailableStorage } from '../budget-storage-unavailable.exception';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';

const LABELS = { budgets: ['Budget', 'without a reservation'], rates: ['Rate', 'uncounted'] } as const;

/**
 * A guard's storage failed: under `failMode: 'closed'` (the default) throws
 * {@link BudgetStorageUnavailableException} (503); under `'open'` returns, and the request is admitted
 * without being counted. Logged either way.
 */
export function onStorageFailure(options: TokenBudgetModuleOptions, logger: Logger, storage: UnavailableStorage, error: unknown): void {
  const [what, admitted] = LABELS[storage];
  if (options.failMode !== 'open') {
    logger.error(`${what} storage failed; request refused (failMode 'closed'): ${String(error)}`);
    throw new BudgetStorageUnavailableException(storage);
  }
  logger.warn(`${what} storage failed; request admitted ${admitted} (failMode 'open'): ${String(error)}`);
}
