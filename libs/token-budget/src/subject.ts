import type { BudgetScope } from './budget-scope';

/** Ids of the subjects a call counts against. */
export interface BudgetSubjectIds {
  user?: string | number;
  tenant?: string | number;
  key?: string | number;
  session?: string | number;
  /** The route/feature the call belongs to (selects feature rules and route budgets). */
  feature?: string;
}

/**
 * Who a BudgetService call is for: a user id, or ids per scope.
 *
 * @example
 * 'user-42'
 * { user: 'user-42', tenant: 'acme', feature: 'summarize' }
 */
export type BudgetSubject = string | number | BudgetSubjectIds;

/** Normalises a subject to ids per scope. */
export function subjectIds(subject: BudgetSubject): BudgetSubjectIds {
  return typeof subject === 'object' && subject !== null ? subject : { user: subject };
}

/** The id a subject has for a scope (`global` always has one). */
export function idForScope(ids: BudgetSubjectIds, scope: BudgetScope): string | number | undefined {
  return scope === 'global' ? 'all' : ids[scope];
}
