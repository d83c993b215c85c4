import { anthropicUsage } from './anthropic';
import { geminiUsage } from './gemini';
import { ollamaUsage } from './ollama';
import { openAiChatUsage } from './openai-chat';
import { openAiResponsesUsage } from './openai-responses';
import type { StreamTally, UsageReader } from './usage-reader';
import type { UsageReading } from './usage-reading';
import type { UnknownRecord } from './usage-fields';

/**
 * The providers whose usage is read, in the order they are asked (see {@link UsageReader}): the
 * typed stream grammars first, so their events are never read as chunks. Adding a provider is one
 * file in `usage/` and one line here.
 */
export const USAGE_READERS: readonly UsageReader[] = [anthropicUsage, openAiResponsesUsage, openAiChatUsage, geminiUsage, ollamaUsage];

const NONE: UsageReading = { kind: 'none' };

/** `result`, or the result it wraps (a terminal stream event's response). */
function unwrapped(result: unknown): unknown {
  for (const reader of USAGE_READERS) {
    const inner = reader.unwrap?.(result);
    if (inner !== undefined) return inner;
  }
  return result;
}

/**
 * Reads token usage from an LLM provider result of any supported shape: OpenAI Chat
 * Completions / Embeddings / Responses (object or terminal `response.*` stream event), Groq,
 * Anthropic Messages, Gemini `generateContent`, Ollama native and `/v1`. The first reader of
 * {@link USAGE_READERS} that claims the result reads it. Never throws.
 *
 * @returns `usage` with normalised counts, `none` when the result carries no known usage,
 *   `malformed` (with a reason naming the field) when a usage field is invalid.
 */
export function readProviderUsage(result: unknown): UsageReading {
  const target = unwrapped(result);
  for (const reader of USAGE_READERS) if (reader.claims(target)) return reader.fromResult(target);
  return NONE;
}

/**
 * Reads one parsed stream event into `stream`: the first reader that takes it as its own reads it
 * alone; otherwise it is a chunk, each reader having noted its text, and its usage is read as a
 * plain result, final unless a reader that claims it streams running totals.
 */
export function readStreamEvent(event: UnknownRecord, stream: StreamTally): void {
  for (const reader of USAGE_READERS) if (reader.readStreamEvent(event, stream)) return;
  let first: UsageReader | undefined;
  let final = true;
  for (const reader of USAGE_READERS) {
    if (!reader.claims(event)) continue;
    first ??= reader;
    if (reader.runningTotals) final = false;
  }
  if (first) stream.report(first.fromResult(event), final);
}
