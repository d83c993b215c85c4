/**
 * Token usage of one LLM call, normalised across providers.
 *
 * `inputTokens` counts every input token the provider billed, cached ones included
 * (OpenAI `prompt_tokens`; Anthropic `input_tokens + cache_creation_input_tokens +
 * cache_read_input_tokens`; Gemini `promptTokenCount + toolUsePromptTokenCount`).
 * `outputTokens` counts every output token, reasoning / thinking included.
 * `totalTokens` is what a token budget is charged.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens served from the provider's prompt cache (a subset of `inputTokens`). */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (a subset of `inputTokens`). */
  cacheWriteTokens?: number;
  /** Reasoning / thinking tokens (a subset of `outputTokens`). */
  reasoningTokens?: number;
  /** Model that produced the usage, when the response names it. */
  model?: string;
  /** Provider that served it, when the reader knows (`'ollama'` for native Ollama results, which cost nothing). */
  provider?: string;
  /** True when the figures are an estimate rather than the provider's own count. */
  estimated?: boolean;
}

/**
 * What callers may pass where usage is expected: a total token count, or usage fields
 * (`totalTokens` defaults to `inputTokens + outputTokens`).
 */
export type UsageInput = number | (Partial<Usage> & ({ totalTokens: number } | { inputTokens: number } | { outputTokens: number }));

/**
 * Reads usage from a handler result. Return `undefined` when the result carries none.
 *
 * @example
 * usage: (result: MyLlmResult) => ({ inputTokens: result.inTok, outputTokens: result.outTok, totalTokens: result.inTok + result.outTok })
 */
export type UsageExtractor = (result: unknown) => Usage | undefined;
