import { BudgetExceededException, BudgetExceededInfo, TierLimitExceededException } from 'nestjs-token-budget';
import { RETRYABLE_WAIT_SECONDS, refusalHeaders, refusalOf } from './refusal';
import { anthropicRefusalBody, openAiRefusalBody } from './refusal-bodies';

const resetIn = (seconds: number | null): Pick<BudgetExceededInfo, 'resetAt' | 'retryAfterSeconds'> => ({
  resetAt: seconds === null ? null : new Date(Date.UTC(2027, 0, 1) + seconds * 1000),
  retryAfterSeconds: seconds,
});
const budget = (over: Partial<BudgetExceededInfo> = {}) =>
  new BudgetExceededException({
    reason: 'user_token_limit_exceeded',
    unit: 'tokens',
    scope: 'user',
    id: 'u',
    used: 900,
    reserved: 0,
    limit: 1000,
    remaining: 100,
    requested: 300,
    ...resetIn(86_400),
    ...over,
  });

describe('refusalOf', () => {
  it('a budget exhausted until a far reset: not retryable, 402 (or the status given), "will reset at"', () => {
    const refusal = refusalOf(budget())!;
    expect(refusal).toMatchObject({ kind: 'budget', status: 402, retryable: false, retryAfterSeconds: 86_400 });
    expect(refusal.message).toMatch(
      /has 100 of 1000 tokens left and the request needs 300\. It will reset at 2027-01-02T00:00:00\.000Z\.$/,
    );
    expect(refusal.figures).toEqual({
      reason: 'user_token_limit_exceeded',
      scope: 'user',
      unit: 'tokens',
      used: 900,
      reserved: 0,
      limit: 1000,
      remaining: 100,
      requested: 300,
      resetAt: '2027-01-02T00:00:00.000Z',
      retryAfterSeconds: 86_400,
    });
    expect(refusalOf(budget(), 429)!.status).toBe(429);
    expect(refusalHeaders(refusal)).toEqual({ 'x-should-retry': 'false' });
  });

  it(`a budget that resets within ${RETRYABLE_WAIT_SECONDS} s is a 429 to retry, unless the request exceeds the whole limit`, () => {
    const soon = refusalOf(budget(resetIn(RETRYABLE_WAIT_SECONDS)))!;
    expect(soon).toMatchObject({ status: 429, retryable: true });
    expect(soon.message).toMatch(/Try again in 60 s \(the budget resets at /);
    expect(refusalHeaders(soon)).toEqual({ 'x-should-retry': 'true', 'retry-after': '60' });
    expect(refusalOf(budget(resetIn(RETRYABLE_WAIT_SECONDS + 1)))).toMatchObject({ status: 402, retryable: false });
    expect(refusalOf(budget({ ...resetIn(5), requested: 1001 }))).toMatchObject({ status: 402, retryable: false });
  });

  it('a lifetime budget never frees', () => {
    const refusal = refusalOf(budget(resetIn(null)))!;
    expect(refusal).toMatchObject({ status: 402, retryable: false });
    expect(refusal.message).toMatch(/It does not reset \(a lifetime budget\)\.$/);
  });

  it('a tier rate refusal: 429, retryable after its window', () => {
    const refusal = refusalOf(
      new TierLimitExceededException({
        tier: 'pro',
        limit: 5,
        ttlMs: 60_000,
        resetAt: new Date(Date.UTC(2027, 0, 1)),
        retryAfterSeconds: 42,
      }),
    )!;
    expect(refusal).toMatchObject({
      kind: 'rate',
      status: 429,
      retryable: true,
      figures: { reason: 'tier_rate_limited', tier: 'pro', limit: 5, remaining: 0 },
    });
    expect(refusalHeaders(refusal)).toEqual({ 'x-should-retry': 'true', 'retry-after': '42' });
  });

  it('anything else is no refusal', () => {
    expect(refusalOf(new Error('x'))).toBeUndefined();
  });
});

describe('refusal bodies', () => {
  it("OpenAI's shape: type by kind, code budget_exceeded / rate_limit_exceeded, figures beside", () => {
    expect(openAiRefusalBody(refusalOf(budget())!)).toMatchObject({
      error: { type: 'insufficient_quota', code: 'budget_exceeded', param: null, reason: 'user_token_limit_exceeded', limit: 1000 },
    });
    expect(openAiRefusalBody(refusalOf(budget(resetIn(10)))!)).toMatchObject({ error: { type: 'tokens', code: 'budget_exceeded' } });
    const rate = refusalOf(
      new TierLimitExceededException({ tier: 'free', limit: 1, ttlMs: 1000, resetAt: new Date(), retryAfterSeconds: 1 }),
    )!;
    expect(openAiRefusalBody(rate)).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded', tier: 'free' } });
  });

  it("Anthropic's shape: billing_error for a 402, rate_limit_error for a 429, the code and figures in error.details, the request id", () => {
    expect(anthropicRefusalBody(refusalOf(budget())!, 'req-1')).toEqual({
      type: 'error',
      error: {
        type: 'billing_error',
        message: expect.stringContaining('Token budget exceeded'),
        details: expect.objectContaining({ error_code: 'budget_exceeded', reason: 'user_token_limit_exceeded' }),
      },
      request_id: 'req-1',
    });
    expect(anthropicRefusalBody(refusalOf(budget(), 429)!, undefined)).toMatchObject({
      error: { type: 'rate_limit_error' },
      request_id: null,
    });
  });
});
