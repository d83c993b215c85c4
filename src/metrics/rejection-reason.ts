import { HttpException, HttpStatus } from '@nestjs/common';
import { BudgetExceededException } from 'nestjs-token-budget';
import { UpstreamErrorException } from '../proxy/api-error';
import { UpstreamFailure } from '../upstream/upstream-errors';
import { safeLabel } from './model-labels';

const BY_STATUS: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'bad_request',
  [HttpStatus.UNAUTHORIZED]: 'unauthorized',
  [HttpStatus.FORBIDDEN]: 'forbidden',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'payload_too_large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported_media_type',
  [HttpStatus.TOO_MANY_REQUESTS]: 'too_many_requests',
};

/**
 * The reason a request was refused, as `tokenbudget_rejections_total` labels it: the budget's
 * reason (`user_token_limit_exceeded`, `global_cost_limit_exceeded`, ...), the body's `error` code
 * of tier and storage refusals (`tier_rate_limited`, `budget_storage_unavailable`,
 * `rate_storage_unavailable`), else one word per 4xx status (`unauthorized`, `bad_request`,
 * `payload_too_large`, ...); an upstream's error answer as `upstream_` and its status word
 * (`upstream_unauthorized`, also for the 401 / 403 answered as 502 `upstream_auth_failed`; `upstream_too_many_requests`). `undefined` for what is not a refusal
 * (404, server faults).
 */
export function rejectionReason(exception: unknown): string | undefined {
  // the scope part of the reason comes from the budget rules (a config file): a label like any other
  if (exception instanceof BudgetExceededException) return safeLabel(exception.info.reason);
  // the provider's own error answer (its 401 is the server's key, its 429 the provider's rate): kept apart from the gateway's refusals
  if (exception instanceof UpstreamErrorException) return prefixed('upstream_', reasonOf(exception.getStatus(), undefined));
  // the provider refused the server's key (answered 502 upstream_auth_failed); other cut calls are faults, not refusals
  if (exception instanceof UpstreamFailure) return exception.code === 'upstream_auth_failed' ? 'upstream_unauthorized' : undefined;
  const status = statusOf(exception);
  if (status === undefined) return undefined;
  return reasonOf(status, exception instanceof HttpException ? reasonCode(exception.getResponse()) : undefined);
}

function reasonOf(status: number, code: string | undefined): string | undefined {
  if (status === HttpStatus.NOT_FOUND) return undefined;
  if (status === HttpStatus.SERVICE_UNAVAILABLE) return code ?? 'service_unavailable';
  if (status === HttpStatus.TOO_MANY_REQUESTS) return code ?? BY_STATUS[status];
  if (status >= 400 && status < 500) return BY_STATUS[status] ?? `http_${status}`;
  return undefined;
}

function prefixed(prefix: string, reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : prefix + reason;
}

/** Status of an HttpException, or of a body-parser / Fastify error (`status` / `statusCode`). */
function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const e = exception as { status?: unknown; statusCode?: unknown } | null;
  const status = e?.status ?? e?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A machine-readable reason an exception's body carries in its `error` field (e.g. `rate_storage_unavailable`); `undefined` otherwise. */
export function reasonCode(body: unknown): string | undefined {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof error === 'string' && /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/.test(error) ? error : undefined;
}
