import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
import { requestContext } from './request-context';

/** A client's `x-request-id` is kept when it is a plain token of at most 128 characters. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Headers never written to the logs. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/** What the budget did with a request, for its log line. */
export interface BudgetDecision {
  /** `rejected` (with `reason`), `degraded` (served by the tier's cheaper model), `admitted`, or `unmetered` (no budget on the route). */
  decision: 'admitted' | 'rejected' | 'degraded' | 'unmetered';
  reason?: string;
  degradedTo?: string;
  /** Tokens held for the request; absent when storage failed and the request was admitted without a hold. */
  estimate?: number;
}

export function budgetDecision(req: IncomingMessage): BudgetDecision {
  const context = requestContext(req);
  const state = context.tokenBudget ?? (req as { tokenBudget?: typeof context.tokenBudget }).tokenBudget;
  if (context.rejection) return { decision: 'rejected', reason: context.rejection };
  if (state?.degraded) return { decision: 'degraded', degradedTo: state.degraded.model, ...held(state) };
  if (state?.feature !== undefined) return { decision: 'admitted', ...held(state) };
  return { decision: 'unmetered' };
}

function held(state: NonNullable<ReturnType<typeof requestContext>['tokenBudget']>): { estimate?: number } {
  return state.reservation ? { estimate: state.estimate } : {};
}

/** pino-http options: one line per request with its id, user, route, status, budget decision and duration. */
export function requestLogOptions(): Options {
  return {
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessObject: (req, res, line: Record<string, unknown>) => ({ ...line, ...summary(req, res) }),
    customErrorObject: (req, res, _error, line: Record<string, unknown>) => ({ ...line, ...summary(req, res) }),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
  };
}

function summary(req: IncomingMessage, res: ServerResponse) {
  const user = requestContext(req).user ?? (req as { user?: { id: string; tenantId?: string } }).user;
  return {
    requestId: (req as { id?: unknown }).id,
    userId: user?.id,
    tenantId: user?.tenantId,
    route: routeOf(req),
    status: res.statusCode,
    ...budgetDecision(req),
  };
}

/** The path without its query string (which may carry anything). */
function routeOf(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}
