import { ApiError } from '../proxy/api-error';

/**
 * The error codes of calls the gateway could not complete with its provider (502 or 504), in one
 * place: the README's errors table lists them. Callers get the code and a generic message; what
 * the provider sent, and where it is, go to the operator's log only.
 */
export const UPSTREAM_ERRORS = {
  upstream_unavailable: { status: 502, message: 'The upstream provider could not be reached.' },
  upstream_connect_timeout: {
    status: 504,
    message: 'The upstream provider did not accept the connection in time (UPSTREAM_CONNECT_TIMEOUT_MS).',
  },
  upstream_first_byte_timeout: {
    status: 504,
    message: 'The upstream provider did not start its answer in time (UPSTREAM_FIRST_BYTE_TIMEOUT_MS).',
  },
  upstream_idle_timeout: { status: 504, message: 'The upstream provider stopped sending its answer (UPSTREAM_IDLE_TIMEOUT_MS).' },
  upstream_total_timeout: { status: 504, message: 'The upstream provider did not finish its answer in time (UPSTREAM_TOTAL_TIMEOUT_MS).' },
  upstream_response_too_large: {
    status: 502,
    message: 'The upstream answer is larger than the gateway accepts (UPSTREAM_MAX_RESPONSE_BYTES / UPSTREAM_MAX_STREAM_BYTES).',
  },
  upstream_line_too_long: {
    status: 502,
    message: 'The upstream stream sent a line longer than the gateway accepts (UPSTREAM_MAX_LINE_BYTES).',
  },
  upstream_invalid_response: { status: 502, message: 'The upstream provider sent an answer the gateway cannot read.' },
  upstream_auth_failed: {
    status: 502,
    message:
      "The gateway's credentials were refused by the upstream provider. This is a gateway configuration problem, not a problem with your API key.",
  },
} as const;

export type UpstreamErrorCode = keyof typeof UPSTREAM_ERRORS;

/** A call cut by a bound, or an answer that could not be used; `detail` is for the log only. */
export class UpstreamFailure extends ApiError {
  constructor(
    readonly code: UpstreamErrorCode,
    readonly detail = '',
  ) {
    super(UPSTREAM_ERRORS[code].status, UPSTREAM_ERRORS[code].message, { code, type: 'upstream_error' });
  }
}
