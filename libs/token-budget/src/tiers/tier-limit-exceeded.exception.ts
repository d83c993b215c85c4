import { ThrottlerException } from '@nestjs/throttler';

/** What a tier rate refusal knows. */
export interface TierLimitExceededInfo {
  tier: string;
  /** Requests per window (burst included). */
  limit: number;
  /** Window length in ms. */
  ttlMs: number;
  /** When the window frees. */
  resetAt: Date;
  /** Whole seconds until then (at least 1), as sent in `Retry-After`. */
  retryAfterSeconds: number;
}

/** Body of a tier rate refusal. */
export interface TierLimitExceededBody extends Omit<TierLimitExceededInfo, 'resetAt'> {
  statusCode: 429;
  error: 'tier_rate_limited';
  message: string;
  remaining: 0;
  resetAt: string;
}

/**
 * 429 for a user over their tier's request rate. A `ThrottlerException` (filters for it still
 * catch it) whose body names the tier and when the window frees.
 */
export class TierLimitExceededException extends ThrottlerException {
  private readonly body: TierLimitExceededBody;

  constructor(readonly info: TierLimitExceededInfo) {
    const message =
      `Rate limit of the '${info.tier}' tier reached: ${info.limit} requests per ${formatMs(info.ttlMs)}. ` +
      `Try again in ${info.retryAfterSeconds} s (the window frees at ${info.resetAt.toISOString()}), or move to a higher tier.`;
    super(message);
    this.body = {
      statusCode: 429,
      error: 'tier_rate_limited',
      message,
      tier: info.tier,
      limit: info.limit,
      remaining: 0,
      ttlMs: info.ttlMs,
      resetAt: info.resetAt.toISOString(),
      retryAfterSeconds: info.retryAfterSeconds,
    };
  }

  override getResponse(): TierLimitExceededBody {
    return this.body;
  }
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}
