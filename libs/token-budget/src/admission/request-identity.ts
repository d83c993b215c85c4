import { UnauthorizedException } from '@nestjs/common';
import { InvalidSubjectError } from '../invalid-subject.error';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { BudgetRequest } from '../budget-request';

/** A user id as the guards' `getUserId` hooks return it. */
export type RequestUserId = string | number | undefined | null;

/**
 * The identity rules both guards (TokenBudgetGuard, TierThrottlerGuard) apply to a request, said
 * once: who the user is by default, what an anonymous request gets, and how long an id may be.
 */

/** The default user id of a request: the module's `extractUserId`, else `req.user?.id`. */
export function defaultUserId(options: TokenBudgetModuleOptions, req: BudgetRequest): RequestUserId | Promise<RequestUserId> {
  return options.extractUserId ? options.extractUserId(req) : req?.user?.id;
}

/** True when no user id was found (`undefined`, `null` or `''`). */
export function isAnonymous(userId: unknown): userId is undefined | null | '' {
  return userId === undefined || userId === null || userId === '';
}

/**
 * Refuses an anonymous request with 401 unless the module allows them (`anonymous: 'allow'`);
 * `refusal` says which check could not identify the caller.
 */
export function assertIdentified(options: TokenBudgetModuleOptions, userId: unknown, refusal: string): void {
  if (isAnonymous(userId) && options.anonymous !== 'allow') throw new UnauthorizedException(refusal);
}

/**
 * The id as a string, when it is at most `maxIdLength` characters long.
 * @throws InvalidSubjectError naming the scope (a 400 in both guards)
 */
export function checkedSubjectId(scope: string, raw: string | number, maxIdLength: number): string {
  const id = String(raw);
  if (id.length > maxIdLength)
    throw InvalidSubjectError.create(scope, `it is ${id.length} characters long, more than maxIdLength (${maxIdLength})`);
  return id;
}
