import { BudgetExceededException, TierLimitExceededException } from 'nestjs-token-budget';

/**
 * Longest wait, in seconds, that an SDK's retry still covers: the `openai` and `@anthropic-ai/sdk`
 * clients honour `retry-after` up to 60 s, LangChain waits up to 60 s. A budget that frees sooner
 * is answered as a rate limit (retry); one that frees later is not worth a retry.
 */
export const RETRYABLE_WAIT_SECONDS = 60;

/**
 * Status of a refusal that waiting cannot help (an exhausted budget): 402 by default, which no
 * client retries (the Vercel AI SDK retries 408, 409, 429 and 5xx by status alone), or 429 as
 * OpenAI answers `insufficient_quota` (`BUDGET_EXHAUSTED_STATUS`).
 */
export type ExhaustedStatus = 402 | 429;

/** What a budget or rate refusal says to a client, whatever the provider's shape. */
export interface Refusal {
  /** `budget`: a budget refused the request; `rate`: the tier's request rate. */
  kind: 'budget' | 'rate';
  status: number;
  /** True when waiting `retryAfterSeconds` frees it (sent as `x-should-retry`). */
  retryable: boolean;
  retryAfterSeconds: number | null;
  message: string;
  /** The library's figures (reason, scope, used, limit, remaining, resetAt, ...), kept in the body. */
  figures: Record<string, unknown>;
}

/**
 * The refusal an exception stands for, or `undefined` when it is none. A budget refusal is
 * retryable only when its period ends within {@link RETRYABLE_WAIT_SECONDS} and the request fits
 * the budget's limit; otherwise it gets `exhaustedStatus`. A tier rate refusal is always retryable.
 */
export function refusalOf(exception: unknown, exhaustedStatus: ExhaustedStatus = 402): Refusal | undefined {
  if (exception instanceof BudgetExceededException) {
    const { info } = exception;
    const body = BudgetExceededException.body(info);
    const retryable = info.retryAfterSeconds !== null && info.retryAfterSeconds <= RETRYABLE_WAIT_SECONDS && info.requested <= info.limit;
    // worded so LangChain reads it as its own classifier expects: "try again in" (a wait) or "will reset at" (quota exhausted)
    const when = !info.resetAt
      ? ' It does not reset (a lifetime budget).'
      : retryable
        ? ` Try again in ${info.retryAfterSeconds} s (the budget resets at ${info.resetAt.toISOString()}).`
        : ` It will reset at ${info.resetAt.toISOString()}.`;
    return {
      kind: 'budget',
      status: retryable ? 429 : exhaustedStatus,
      retryable,
      retryAfterSeconds: info.retryAfterSeconds,
      message: `${body.message}${when}`,
      figures: {
        reason: info.reason,
        scope: info.scope,
        ...(info.feature ? { feature: info.feature } : {}),
        unit: info.unit,
        used: info.used,
        reserved: info.reserved,
        limit: info.limit,
        remaining: info.remaining,
        requested: info.requested,
        resetAt: body.resetAt,
        retryAfterSeconds: info.retryAfterSeconds,
      },
    };
  }
  if (exception instanceof TierLimitExceededException) {
    const { info } = exception;
    const { message } = exception.getResponse();
    return {
      kind: 'rate',
      status: 429,
      retryable: true,
      retryAfterSeconds: info.retryAfterSeconds,
      message,
      figures: {
        reason: 'tier_rate_limited',
        tier: info.tier,
        limit: info.limit,
        remaining: 0,
        ttlMs: info.ttlMs,
        resetAt: info.resetAt.toISOString(),
        retryAfterSeconds: info.retryAfterSeconds,
      },
    };
  }
  return undefined;
}

/** Headers of a refusal: `x-should-retry`, and `retry-after` when waiting frees it (the guards set it already; set again for safety). */
export function refusalHeaders(refusal: Refusal): Record<string, string> {
  return {
    'x-should-retry': String(refusal.retryable),
    ...(refusal.retryable && refusal.retryAfterSeconds !== null ? { 'retry-after': String(refusal.retryAfterSeconds) } : {}),
  };
}
