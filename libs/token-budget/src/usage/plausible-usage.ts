import type { Usage } from './usage.interface';

/**
 * What a provider can plausibly report for one call, fixed at admission for a request estimated
 * from its body: the output its output limit allows, and a multiple of the prompt counted.
 */
export interface UsageBounds {
  /** Prompt tokens counted from the body. */
  countedInputTokens: number;
  /** Most input tokens charged (`ceil(countedInputTokens * inputFactor)`); `undefined` when input is not bounded. */
  inputTokens: number | undefined;
  /** Output the output limit sent allows, all completions together; `undefined` when no limit was sent. */
  outputTokens: number | undefined;
}

/** Why reported usage was not charged as is. */
export type UsageAnomalyReason = 'output_over_limit' | 'input_over_bound' | 'total_over_bound' | 'zero_usage';

/** Reported usage checked against its bounds: what to charge, and why it differs. */
export interface PlausibleUsage {
  /** Usage to charge; `undefined` when the estimate is charged instead (zero usage reported). */
  usage: Usage | undefined;
  /** Empty when the reported usage is charged as is. */
  reasons: UsageAnomalyReason[];
}

/**
 * Clamps reported usage to its bounds: input to `bounds.inputTokens`, output to
 * `bounds.outputTokens`, the total to the clamped input plus output (plus whatever the report
 * counts beyond them, within the two bounds together); cached, cache-write and reasoning counts
 * to the clamped figures they are part of. A report of zero tokens for a call whose prompt was
 * counted (every provider bills the prompt) is charged the estimate. Pure.
 *
 * @example plausibleUsage({ inputTokens: 5e12, outputTokens: 20, totalTokens: 5e12 + 20 }, { countedInputTokens: 12, inputTokens: 120, outputTokens: 50 })
 * // { usage: { inputTokens: 120, outputTokens: 20, totalTokens: 140 }, reasons: ['input_over_bound'] }
 */
export function plausibleUsage(reported: Usage, bounds: UsageBounds): PlausibleUsage {
  if (reported.totalTokens === 0 && reported.inputTokens === 0 && reported.outputTokens === 0 && bounds.countedInputTokens > 0) {
    return { usage: undefined, reasons: ['zero_usage'] };
  }
  const reasons: UsageAnomalyReason[] = [];
  const inputBound = bounds.inputTokens ?? Infinity;
  const outputBound = bounds.outputTokens ?? Infinity;
  const inputTokens = Math.min(reported.inputTokens, inputBound);
  const outputTokens = Math.min(reported.outputTokens, outputBound);
  if (inputTokens < reported.inputTokens) reasons.push('input_over_bound');
  if (outputTokens < reported.outputTokens) reasons.push('output_over_limit');
  const beyond = Math.max(0, reported.totalTokens - reported.inputTokens - reported.outputTokens);
  const allowedBeyond = Math.max(0, inputBound + outputBound - inputTokens - outputTokens);
  if (beyond > allowedBeyond) reasons.push('total_over_bound');
  if (reasons.length === 0) return { usage: reported, reasons };
  const totalTokens = Math.min(reported.totalTokens, inputTokens + outputTokens + Math.min(beyond, allowedBeyond));
  const usage: Usage = { ...reported, inputTokens, outputTokens, totalTokens };
  if (usage.cachedInputTokens !== undefined) usage.cachedInputTokens = Math.min(usage.cachedInputTokens, inputTokens);
  if (usage.cacheWriteTokens !== undefined)
    usage.cacheWriteTokens = Math.min(usage.cacheWriteTokens, inputTokens - (usage.cachedInputTokens ?? 0));
  if (usage.reasoningTokens !== undefined) usage.reasoningTokens = Math.min(usage.reasoningTokens, outputTokens);
  return { usage, reasons };
}

/** Options of `plausibleUsage`. */
export interface PlausibleUsageOptions {
  /**
   * Most input tokens charged for a call admitted on a body estimate, as a multiple of the prompt
   * counted from its body. Raise it for routes whose real prompt the body does not show (stored
   * files, `previous_response_id`, server-side tools that add input).
   * @default 10
   * @example { inputFactor: 50 }
   */
  inputFactor?: number;
}

/** Default of {@link PlausibleUsageOptions.inputFactor}. */
export const DEFAULT_INPUT_FACTOR = 10;
