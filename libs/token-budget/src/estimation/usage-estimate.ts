/**
 * What a call is expected to use before it runs: prompt tokens, the most output tokens it may
 * produce, and the model (which prices it). Estimate functions may return this or a plain token
 * total.
 *
 * @example { inputTokens: 1_200, outputTokens: 500, model: 'gpt-4o-mini' }
 */
export interface UsageEstimate {
  inputTokens: number;
  outputTokens: number;
  /** Model that will be called; prices the estimate for cost budgets. */
  model?: string;
  /**
   * USD the call costs beyond its tokens (per-call fees, e.g. a provider's server-side web search),
   * held on cost budgets with the tokens' price and charged with the usage when the call settles.
   * @default 0
   * @example feesUsd: 0.01
   */
  feesUsd?: number;
}

/** A token total or a {@link UsageEstimate}. */
export type EstimateInput = number | UsageEstimate;
