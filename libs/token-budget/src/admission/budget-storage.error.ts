/**
 * Storage failed while a request was being admitted (unreachable, timed out, answered an error):
 * the guard answers 503, or admits without a hold under `failMode: 'open'`. The storage's error is
 * the `cause`.
 */
export class BudgetStorageError extends Error {
  constructor(override readonly cause: unknown) {
    super(`Budget storage failed: ${String(cause)}`);
    this.name = this.constructor.name;
  }
}
