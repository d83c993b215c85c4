import type { UsageReader } from './usage-reader';
import { UsageReading } from './usage-reading';
import { addCounts, guardReading, hasKey, isRecord, modelOf, optionalCount, peek, UnknownRecord, usageFound } from './usage-fields';

function isFinalNativeResult(result: unknown): result is UnknownRecord {
  if (!isRecord(result) || peek(result, 'done') !== true) return false;
  return (
    hasKey(result, 'prompt_eval_count') || hasKey(result, 'eval_count') || (modelOf(result) !== undefined && hasKey(result, 'done_reason'))
  );
}

/**
 * Reads token usage from a native Ollama `/api/chat` or `/api/generate` result (or the final
 * `done: true` stream line). Counts are omitted by Ollama when zero, so a missing count is 0.
 * Never throws.
 */
export function readOllamaUsage(result: unknown): UsageReading {
  return guardReading(() => {
    if (!isFinalNativeResult(result)) return { kind: 'none' };
    const inputTokens = optionalCount(result, 'prompt_eval_count', '') ?? 0;
    const outputTokens = optionalCount(result, 'eval_count', '') ?? 0;
    return usageFound({
      inputTokens,
      outputTokens,
      totalTokens: addCounts('prompt_eval_count and eval_count', inputTokens, outputTokens),
      model: modelOf(result),
      provider: 'ollama',
    });
  });
}

/**
 * Ollama's native API (`/api/chat`, `/api/generate`); its `/v1` API is OpenAI's shape. Stream:
 * NDJSON lines with a boolean `done`; text from `message.content` (chat) or `response` (generate);
 * the counts arrive on the final `done: true` line only.
 */
export const ollamaUsage: UsageReader = {
  provider: 'ollama',
  claims: (result) => peek(result, 'done') === true,
  fromResult: readOllamaUsage,
  readStreamEvent(event, stream) {
    stream.model(event.model);
    if (typeof event.done !== 'boolean') return false;
    stream.recognise();
    stream.text(peek(event.message, 'content'));
    stream.text(event.response);
    return false;
  },
};
