import type { IncomingMessage } from 'node:http';
import type { TokenBudgetRequestState } from 'nestjs-token-budget';

/** Who made a request and what became of it, kept on the Node request for the request log line. */
export interface RequestContext {
  user?: { id: string; tenantId?: string; tier?: string };
  tokenBudget?: Partial<TokenBudgetRequestState>;
  /** Why the request was refused (a rejection reason of the metrics). */
  rejection?: string;
}

const contexts = new WeakMap<object, RequestContext>();

/** The Node request under a platform request (Fastify wraps it as `raw`; Express extends it). */
export function nodeRequest(req: object): IncomingMessage {
  return ((req as { raw?: IncomingMessage }).raw ?? req) as IncomingMessage;
}

/** Records `patch` on the request's context (on the Node request, which the logger sees). */
export function noteRequest(req: object, patch: RequestContext): void {
  const raw = nodeRequest(req);
  const current = contexts.get(raw);
  contexts.set(raw, { ...current, ...definedOnly(patch) });
}

export function requestContext(raw: object): RequestContext {
  return contexts.get(raw) ?? {};
}

function definedOnly(patch: RequestContext): RequestContext {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as RequestContext;
}
