/**
 * How a request that asks for more output than it should hold is lowered (fair holds, and
 * `capMaxTokens`, which is the same rule with a share of 1).
 */
export interface OutputLowering {
  /** Largest fraction of the tokens left after the prompt that one request's output may hold (0 < share <= 1). */
  share: number;
  /** Fewest output tokens (per completion) a lowered request keeps; a request asking for less keeps what it asked. */
  minOutputTokens: number;
  /** Most output tokens (per completion) one request may hold, whatever is left; `undefined` for no cap. */
  maxOutputTokens: number | undefined;
}

/** What the fair-hold rule works on: one request's prompt and output limit, and what is left. */
export interface FairOutputInput {
  /** Prompt tokens counted from the body. */
  inputTokens: number;
  /** Output limit per completion the request asks for (its body's, else `defaultMaxOutputTokens`). */
  requestedPerCompletion: number;
  /** Completions the body asks for (`n`, `candidateCount`). */
  choices: number;
  /** Tokens the tightest limited budget has left (`Infinity` when none is limited). */
  room: number;
}

/**
 * The output limit per completion a request asks for once `maxOutputTokens` caps it, and the
 * least it keeps when lowered: `min(asked, minOutputTokens)`.
 */
export function outputBounds(requestedPerCompletion: number, rule: OutputLowering): { asked: number; least: number } {
  const asked = rule.maxOutputTokens === undefined ? requestedPerCompletion : Math.min(requestedPerCompletion, rule.maxOutputTokens);
  return { asked, least: Math.min(asked, rule.minOutputTokens) };
}

/** Whether the rule depends on what is left: a share below 1 and a request asking for more than its floor. */
export function needsRoom(requestedPerCompletion: number, rule: OutputLowering): boolean {
  const { asked, least } = outputBounds(requestedPerCompletion, rule);
  return rule.share < 1 && asked > least;
}

/**
 * Output tokens per completion a request may hold:
 * `min(asked, max(least, floor(share * (room - prompt) / choices)))`, where `asked` is its output
 * limit capped by `maxOutputTokens` and `least = min(asked, minOutputTokens)`. Whether that much is
 * actually left is decided by the atomic reservation that follows (it holds less, down to `least`,
 * or refuses).
 *
 * @example fairOutputPerCompletion({ inputTokens: 9, requestedPerCompletion: 64_000, choices: 1, room: 100_000 }, { share: 0.25, minOutputTokens: 256, maxOutputTokens: undefined }) // 24_997
 */
export function fairOutputPerCompletion(input: FairOutputInput, rule: OutputLowering): number {
  const { asked, least } = outputBounds(input.requestedPerCompletion, rule);
  if (rule.share >= 1 || !Number.isFinite(input.room)) return asked;
  const share = Math.floor((rule.share * Math.max(0, input.room - input.inputTokens)) / input.choices);
  return Math.min(asked, Math.max(least, share));
}

/** Defaults of {@link FairHoldOptions}. */
export const DEFAULT_FAIR_SHARE = 0.25;
export const DEFAULT_FAIR_MIN_OUTPUT_TOKENS = 256;
