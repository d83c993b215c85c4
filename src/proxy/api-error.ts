import { HttpException } from '@nestjs/common';

/** Details of an API error beyond its status and message. */
export interface ApiErrorDetails {
  /** OpenAI `error.type`; derived from the status when unset. */
  type?: string;
  /** OpenAI `error.code`, e.g. `model_not_found`. */
  code?: string | null;
  /** The request field at fault, e.g. `model`. */
  param?: string | null;
}

/** An error the gateway answers itself, shaped for the route's API by {@link apiErrorBody}. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly details: ApiErrorDetails = {},
  ) {
    super(message, status);
  }
}

/** Headers of an upstream error answer that tell a client when to retry; passed on with it. */
export const RETRY_HEADERS = /^(retry-after|retry-after-ms|x-ratelimit-[\w-]+|anthropic-ratelimit-[\w-]+)$/i;

/** An upstream's own error answer, sent on with its status, body and retry headers unchanged. */
export class UpstreamErrorException extends HttpException {
  constructor(
    body: object,
    status: number,
    /** The answer's {@link RETRY_HEADERS}. */
    readonly headers: Record<string, string> = {},
  ) {
    super(body, status);
  }
}

const OPENAI_TYPES: Record<number, string> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  502: 'upstream_error',
  504: 'upstream_error',
};
const OPENAI_CODES: Record<number, string> = { 401: 'invalid_api_key', 413: 'request_too_large', 502: 'upstream_unavailable' };
const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  502: 'api_error',
};

/**
 * The JSON error body of a `/v1/*` route: Anthropic's shape on `/v1/messages`
 * (`{ type: 'error', error: { type, message } }`), OpenAI's elsewhere (`{ error: { message, type, param, code } }`).
 */
export function apiErrorBody(path: string, status: number, message: string, details: ApiErrorDetails = {}): object {
  if (isAnthropicPath(path)) {
    return { type: 'error', error: { type: ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
  }
  const type = details.type ?? OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message, type, param: details.param ?? null, code: details.code ?? OPENAI_CODES[status] ?? null } };
}

/** True for the routes of the Anthropic Messages API (in any case: Express routes `/V1/Messages` there too). */
export const isAnthropicPath = (path: string): boolean => /^\/v1\/messages(?:[/?]|$)/i.test(path);

/** True for the routes whose errors are shaped as the provider APIs shape them (in any case, as Express routes them). */
export const isApiPath = (path: string): boolean => /^\/v1\//i.test(path);
