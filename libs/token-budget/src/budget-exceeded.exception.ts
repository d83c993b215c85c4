import { HttpException, HttpStatus } from '@nestjs/common';
import type { BudgetScope } from './budget-scope';

/** Default message of {@link BudgetExceededException}. */
export const BUDGET_EXCEEDED_MESSAGE = 'Token budget exceeded';

/** Why a request was refused and when it can try again. */
export interface BudgetExceededInfo {
  /** `<scope>_token_limit_exceeded` or `<scope>_cost_limit_exceeded`. */
  reason: string;
  /**
   * Unit of `used`, `reserved`, `limit`, `remaining` and `requested`: `'tokens'` for a token
   * budget, `'usd'` (dollars, e.g. 0.25) for a cost budget.
   */
  unit: 'tokens' | 'usd';
  scope: BudgetScope;
  /** The subject id of the exhausted counter (the feature name for `feature` rules). */
  id: string;
  /** Feature of the exhausted counter, for route/feature budgets. */
  feature?: string;
  /** Committed usage in the period. */
  used: number;
  /** Tokens held by requests in flight. */
  reserved: number;
  /** Effective limit of the period (limit plus rollover bonus). */
  limit: number;
  /** Tokens left (`limit - used - reserved`, never negative). */
  remaining: number;
  /** Tokens the request asked to hold. */
  requested: number;
  /** Start of the next period; `null` for lifetime budgets. */
  resetAt: Date | null;
  /** Whole seconds until `resetAt` (at least 1); `null` for lifetime budgets. */
  retryAfterSeconds: number | null;
}

/** The JSON body of a 429 answer. */
export interface BudgetExceededBody {
  statusCode: 429;
  error: 'budget_exceeded';
  reason: string;
  scope: BudgetScope;
  feature?: string;
  message: string;
  used: number;
  limit: number;
  remaining: number;
  /** `'tokens'` or `'usd'`: the unit of used, limit and remaining. */
  unit: 'tokens' | 'usd';
  resetAt: string | null;
}

/** Thrown (as HTTP 429) when a request or a `BudgetService.reserve` call does not fit a budget. */
export class BudgetExceededException extends HttpException {
  constructor(
    readonly info: BudgetExceededInfo,
    body?: unknown,
  ) {
    super(body ?? BudgetExceededException.body(info), HttpStatus.TOO_MANY_REQUESTS);
    this.name = this.constructor.name;
  }

  /** The default 429 body for `info`. */
  static body(info: BudgetExceededInfo): BudgetExceededBody {
    const where = info.feature ? `${info.scope} budget of feature '${info.feature}'` : `${info.scope} budget`;
    const needs =
      info.unit === 'usd'
        ? `has $${info.remaining} of $${info.limit} left and the request needs $${info.requested}`
        : `has ${info.remaining} of ${info.limit} tokens left and the request needs ${Math.max(info.requested, 1)}`;
    return {
      statusCode: HttpStatus.TOO_MANY_REQUESTS,
      error: 'budget_exceeded',
      reason: info.reason,
      scope: info.scope,
      ...(info.feature ? { feature: info.feature } : {}),
      message: `${BUDGET_EXCEEDED_MESSAGE}: the ${where} ${needs}.`,
      used: info.used,
      limit: info.limit,
      remaining: info.remaining,
      unit: info.unit,
      resetAt: info.resetAt ? info.resetAt.toISOString() : null,
    };
  }
}
