import type { Refusal } from './refusal';

/** `error.code` of a budget refusal, on both shapes. */
export const BUDGET_EXCEEDED_CODE = 'budget_exceeded';
/** `error.code` of a rate refusal, on both shapes (OpenAI's code for its own rate limits). */
export const RATE_LIMIT_CODE = 'rate_limit_exceeded';

/**
 * A refusal in OpenAI's shape, `{ error: { message, type, param, code, ...figures } }`: an
 * exhausted budget is `type: 'insufficient_quota'` (as OpenAI's own quota errors), one that frees
 * within a minute `type: 'tokens'`, a tier rate `type: 'requests'` (as OpenAI's rate limits); `code`
 * is `budget_exceeded` or `rate_limit_exceeded`.
 */
export function openAiRefusalBody(refusal: Refusal): object {
  const type = refusal.kind === 'rate' ? 'requests' : refusal.retryable ? 'tokens' : 'insufficient_quota';
  return { error: { message: refusal.message, type, param: null, code: codeOf(refusal), ...refusal.figures } };
}

/**
 * A refusal in Anthropic's shape, `{ type: 'error', error: { type, message, details: { error_code, ...figures } }, request_id }`:
 * `billing_error` for an exhausted budget answered 402, else `rate_limit_error`. The code and
 * figures are in `error.details`, where Anthropic puts its own spend-limit code and where
 * `@anthropic-ai/sdk` reads `err.errorCode` and `err.details`.
 */
export function anthropicRefusalBody(refusal: Refusal, requestId: string | undefined): object {
  const type = refusal.status === 402 ? 'billing_error' : 'rate_limit_error';
  return {
    type: 'error',
    error: { type, message: refusal.message, details: { error_code: codeOf(refusal), ...refusal.figures } },
    request_id: requestId ?? null,
  };
}

function codeOf(refusal: Refusal): string {
  return refusal.kind === 'budget' ? BUDGET_EXCEEDED_CODE : RATE_LIMIT_CODE;
}
