import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
import { redactRequestLog, redactResponseLog } from './redaction';
import { platformRequest, requestContext } from './request-context';

/** A client's `x-request-id` is kept when it is a plain token of at most 128 characters. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

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
  const rejection = requestContext(req).rejection;
  const state = platformRequest(req).tokenBudget;
  if (rejection) return { decision: 'rejected', reason: rejection };
  if (state?.degraded) return { decision: 'degraded', degradedTo: state.degraded.model, ...held(state) };
  if (state?.feature !== undefined) return { decision: 'admitted', ...held(state) };
  return { decision: 'unmetered' };
}

function held(state: NonNullable<ReturnType<typeof platformRequest>['tokenBudget']>): { estimate?: number } {
  return state.reservation ? { estimate: state.estimate } : {};
}

/**
 * The request's id: the client's `x-request-id` when it is a plain token, else a new UUID; set on
 * the request (`req.id`) and echoed in the response header. Idempotent.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const assigned = res.getHeader('x-request-id');
  if (typeof assigned === 'string') return assigned;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  (req as { id?: unknown }).id = id;
  return id;
}

/** pino-http options: one line per request with its id, user, route, status, budget decision and duration; secrets redacted. */
export function requestLogOptions(): Options {
  return {
    genReqId: assignRequestId,
    // no credential header, no query value (`?key=sk-...`) reaches a log line (see redaction.ts)
    serializers: { req: redactRequestLog, res: redactResponseLog },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessObject: (req, res, line: Record<string, unknown>) => ({ ...line, ...summary(req, res) }),
    customErrorObject: (req, res, _error, line: Record<string, unknown>) => ({ ...line, ...summary(req, res) }),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
  };
}

function summary(req: IncomingMessage, res: ServerResponse) {
  const user = platformRequest(req).user;
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
