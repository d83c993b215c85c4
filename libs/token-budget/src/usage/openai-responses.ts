import { isAnthropicUsageShape } from './anthropic-shape';
import { readOpenAiUsage } from './openai-chat';
import type { UsageReader } from './usage-reader';
import { hasKey, isRecord, peek } from './usage-fields';

/** The stream events that end a response and carry its `usage`. */
const TERMINAL_EVENTS: ReadonlySet<unknown> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** The `response` of a terminal event (`response.completed`, `.incomplete`, `.failed`); `undefined` for anything else. */
function unwrapTerminalEvent(result: unknown): unknown {
  if (!TERMINAL_EVENTS.has(peek(result, 'type'))) return undefined;
  const response = peek(result, 'response');
  return isRecord(response) ? response : undefined;
}

/** A Responses `usage` (`input_tokens` with `total_tokens`); one without a total reads as Anthropic's. */
function claimsResponses(result: unknown): boolean {
  const usage = peek(result, 'usage');
  return isRecord(usage) && hasKey(usage, 'input_tokens') && !hasKey(usage, 'prompt_tokens') && !isAnthropicUsageShape(result, usage);
}

/**
 * OpenAI Responses (`POST /v1/responses`): a `response` object, or a terminal stream event read
 * as the response it wraps. Stream: typed `response.*` events; text from `*.delta` events, usage
 * from `response.usage` of `response.completed | incomplete | failed` (`created`, `in_progress`
 * carry `usage: null`).
 */
export const openAiResponsesUsage: UsageReader = {
  provider: 'openai-responses',
  claims: claimsResponses,
  fromResult: readOpenAiUsage,
  unwrap: unwrapTerminalEvent,
  readStreamEvent(event, stream) {
    const type = event.type;
    if (typeof type !== 'string' || !type.startsWith('response.')) return false;
    stream.model(peek(peek(event, 'response'), 'model'));
    if (TERMINAL_EVENTS.has(type)) stream.report(stream.readResult(event), true, openAiResponsesUsage);
    else if (type.endsWith('.delta')) stream.text(peek(event, 'delta'));
    stream.recognise();
    return true;
  },
};
