import { isAnthropicUsageShape } from './anthropic-shape';
import type { UsageReader } from './usage-reader';
import { UsageReading } from './usage-reading';
import {
  addCounts,
  guardReading,
  hasKey,
  isRecord,
  modelOf,
  optionalCount,
  optionalRecord,
  peek,
  requiredCount,
  UnknownRecord,
  usageFound,
} from './usage-fields';

interface UsageKeys {
  input: string;
  output: string;
  inputDetails: string;
  outputDetails: string;
}

const CHAT_KEYS: UsageKeys = {
  input: 'prompt_tokens',
  output: 'completion_tokens',
  inputDetails: 'prompt_tokens_details',
  outputDetails: 'completion_tokens_details',
};

const RESPONSES_KEYS: UsageKeys = {
  input: 'input_tokens',
  output: 'output_tokens',
  inputDetails: 'input_tokens_details',
  outputDetails: 'output_tokens_details',
};

function locateUsage(result: unknown): { usage: UnknownRecord; path: string } | undefined {
  const usage = peek(result, 'usage');
  if (isRecord(usage)) return { usage, path: 'usage' };
  if (usage !== undefined && usage !== null) return undefined;
  const groqUsage = peek(peek(result, 'x_groq'), 'usage');
  return isRecord(groqUsage) ? { usage: groqUsage, path: 'x_groq.usage' } : undefined;
}

function keysFor(result: unknown, usage: UnknownRecord, path: string): UsageKeys | undefined {
  if (hasKey(usage, CHAT_KEYS.input)) return CHAT_KEYS;
  if (path === 'usage' && hasKey(usage, RESPONSES_KEYS.input) && !isAnthropicUsageShape(result, usage)) {
    return RESPONSES_KEYS;
  }
  return undefined;
}

/**
 * Reads token usage from an OpenAI-shaped result: a Chat Completions object or final
 * `include_usage` chunk, an Embeddings list, a Responses API `response` object, or a Groq
 * result (top-level `usage`, else `x_groq.usage`, never both). Also fits Ollama's `/v1` API.
 * `totalTokens` is `total_tokens`, or input + output when the provider omits it or reports less.
 * Never throws.
 */
export function readOpenAiUsage(result: unknown): UsageReading {
  return guardReading(() => {
    const located = locateUsage(result);
    const keys = located && keysFor(result, located.usage, located.path);
    if (!located || !keys) return { kind: 'none' };
    const { usage, path } = located;
    const inputTokens = requiredCount(usage, keys.input, path);
    const outputTokens = optionalCount(usage, keys.output, path) ?? 0;
    const inputDetails = optionalRecord(usage, keys.inputDetails, path);
    const outputDetails = optionalRecord(usage, keys.outputDetails, path);
    const sum = addCounts(`${path} token counts`, inputTokens, outputTokens);
    // a total below its parts would charge the budget less than the tokens billed
    const reportedTotal = optionalCount(usage, 'total_tokens', path) ?? 0;
    return usageFound({
      inputTokens,
      outputTokens,
      totalTokens: Math.max(reportedTotal, sum),
      cachedInputTokens: optionalCount(inputDetails, 'cached_tokens', `${path}.${keys.inputDetails}`),
      cacheWriteTokens: optionalCount(inputDetails, 'cache_write_tokens', `${path}.${keys.inputDetails}`),
      reasoningTokens: optionalCount(outputDetails, 'reasoning_tokens', `${path}.${keys.outputDetails}`),
      model: modelOf(result),
    });
  });
}

/** True for a Chat Completions / Embeddings usage (`prompt_tokens`), or Groq's `x_groq.usage` when `usage` is absent. */
function claimsChat(result: unknown): boolean {
  const usage = peek(result, 'usage');
  if (isRecord(usage)) return hasKey(usage, CHAT_KEYS.input);
  return (usage === undefined || usage === null) && isRecord(peek(peek(result, 'x_groq'), 'usage'));
}

/**
 * OpenAI Chat Completions and Embeddings, and the OpenAI-compatible APIs (Groq, Ollama `/v1`).
 * Stream: `chat.completion.chunk` objects; text from each choice's `delta` (content, reasoning,
 * tool-call arguments); usage from the `include_usage` chunk (`choices: []`) or Groq's
 * `x_groq.usage` on the finish chunk, a later one replacing it (never added).
 */
export const openAiChatUsage: UsageReader = {
  provider: 'openai-chat',
  claims: claimsChat,
  fromResult: readOpenAiUsage,
  readStreamEvent(event, stream) {
    stream.model(event.model);
    const choices = event.choices;
    if (!Array.isArray(choices)) return false;
    stream.recognise();
    for (const choice of choices) {
      const delta = peek(choice, 'delta');
      stream.text(peek(delta, 'content'));
      stream.text(peek(delta, 'reasoning_content'));
      stream.text(peek(delta, 'reasoning'));
      const calls = peek(delta, 'tool_calls');
      if (Array.isArray(calls)) for (const call of calls) stream.text(peek(peek(call, 'function'), 'arguments'));
    }
    // an untyped chunk: its usage is read as a plain result (a Gemini field in it may be there too)
    return false;
  },
};
