import type { IncomingMessage } from 'node:http';
import type { TokenBudgetRequestState } from 'nestjs-token-budget';

/** What guards and interceptors leave on the platform's request object. */
export interface PlatformRequest {
  user?: { id: string; tenantId?: string; tier?: string };
  tokenBudget?: Partial<TokenBudgetRequestState>;
}

/** What became of a request, kept beside the Node request for the request log line. */
export interface RequestContext {
  /** The platform's request (Fastify's own object; on Express the Node request itself), read when the line is written. */
  platform?: PlatformRequest;
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

/** The caller and the budget state of a Node request, wherever the platform keeps them. */
export function platformRequest(raw: IncomingMessage): PlatformRequest {
  return requestContext(raw).platform ?? (raw as PlatformRequest);
}

function definedOnly(patch: RequestContext): RequestContext {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as RequestContext;
}
