import { isAnthropicUsageShape } from './anthropic-shape';
import { readAnthropicUsage } from './anthropic';
import { readGeminiUsage } from './gemini';
import { readOllamaUsage } from './ollama';
import { readOpenAiUsage } from './openai';
import { UsageReading } from './usage-reading';
import { hasKey, isRecord, peek } from './usage-fields';

type UsageReader = (result: unknown) => UsageReading;

const TERMINAL_RESPONSE_EVENTS: ReadonlySet<unknown> = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
]);

function unwrapResponseEvent(result: unknown): unknown {
  if (!TERMINAL_RESPONSE_EVENTS.has(peek(result, 'type'))) return result;
  const response = peek(result, 'response');
  return isRecord(response) ? response : result;
}

function pickReader(result: unknown): UsageReader {
  const usage = peek(result, 'usage');
  if (isRecord(usage)) {
    if (hasKey(usage, 'prompt_tokens')) return readOpenAiUsage;
    if (hasKey(usage, 'input_tokens')) {
      return isAnthropicUsageShape(result, usage) ? readAnthropicUsage : readOpenAiUsage;
    }
  }
  if ((usage === undefined || usage === null) && isRecord(peek(peek(result, 'x_groq'), 'usage'))) {
    return readOpenAiUsage;
  }
  if (isRecord(peek(result, 'usageMetadata'))) return readGeminiUsage;
  return readOllamaUsage;
}

/**
 * Reads token usage from an LLM provider result of any supported shape: OpenAI Chat
 * Completions / Embeddings / Responses (object or terminal `response.*` stream event), Groq,
 * Anthropic Messages, Gemini `generateContent`, Ollama native and `/v1`. Never throws.
 *
 * @returns `usage` with normalised counts, `none` when the result carries no known usage,
 *   `malformed` (with a reason naming the field) when a usage field is invalid.
 */
export function readProviderUsage(result: unknown): UsageReading {
  const target = unwrapResponseEvent(result);
  return pickReader(target)(target);
}
