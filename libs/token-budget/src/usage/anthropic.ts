import { isAnthropicUsageShape } from './anthropic-shape';
import type { StreamTally, UsageReader } from './usage-reader';
import { UsageReading } from './usage-reading';
import {
  addCounts,
  guardReading,
  isRecord,
  modelOf,
  optionalCount,
  optionalRecord,
  peek,
  requiredCount,
  UnknownRecord,
  usageFound,
} from './usage-fields';

/**
 * Reads token usage from an Anthropic Messages result. Input tokens include cache writes and
 * cache reads (`input_tokens + cache_creation_input_tokens + cache_read_input_tokens`);
 * output tokens include thinking. Never throws.
 */
export function readAnthropicUsage(result: unknown): UsageReading {
  return guardReading(() => {
    const usage = peek(result, 'usage');
    if (!isRecord(usage) || !isAnthropicUsageShape(result, usage)) return { kind: 'none' };
    const uncachedInput = requiredCount(usage, 'input_tokens', 'usage');
    const cacheWriteTokens = optionalCount(usage, 'cache_creation_input_tokens', 'usage');
    const cachedInputTokens = optionalCount(usage, 'cache_read_input_tokens', 'usage');
    const outputTokens = optionalCount(usage, 'output_tokens', 'usage') ?? 0;
    const outputDetails = optionalRecord(usage, 'output_tokens_details', 'usage');
    const inputTokens = addCounts('usage input tokens', uncachedInput, cacheWriteTokens ?? 0, cachedInputTokens ?? 0);
    return usageFound({
      inputTokens,
      outputTokens,
      totalTokens: addCounts('usage token counts', inputTokens, outputTokens),
      cachedInputTokens,
      cacheWriteTokens,
      reasoningTokens: optionalCount(outputDetails, 'thinking_tokens', 'usage.output_tokens_details'),
      model: modelOf(result),
    });
  });
}

/** What one Anthropic stream has said about its usage so far. */
interface AnthropicStream {
  /** `message_start.message.usage` with each `message_delta.usage` field laid over it. */
  usage: UnknownRecord;
  /** The last `usage` that read as valid figures. */
  lastGood: UnknownRecord | undefined;
  /** True once a `message_delta` gave a `stop_reason`: the figures are the message's last. */
  final: boolean;
}

/** A copy of `fields` on an object without a prototype, so a `__proto__` key is a plain (ignored) field. */
const plainCopy = (fields?: UnknownRecord): UnknownRecord => Object.assign(Object.create(null) as UnknownRecord, fields);

/** Event types of the Messages stream that carry neither text nor usage. */
const SILENT_EVENTS: ReadonlySet<unknown> = new Set(['ping', 'error', 'message_stop', 'content_block_start', 'content_block_stop']);

/**
 * Lays the non-null fields of a `message_delta.usage` over the figures so far (they are
 * cumulative: replaced, never added). A delta whose fields do not read is dropped whole, so it
 * never spoils the figures before it.
 */
function merge(state: AnthropicStream, delta: UnknownRecord, stream: StreamTally): void {
  const merged = state.usage;
  for (const key of Object.keys(delta)) {
    if (delta[key] !== null && delta[key] !== undefined) merged[key] = delta[key];
  }
  const reading = readAnthropicUsage({ type: 'message', usage: merged });
  if (reading.kind === 'malformed') stream.report(reading, false, anthropicUsage);
  // good figures that a delta would make unreadable (a bad count, a foreign key) are kept
  if (reading.kind === 'malformed' || (reading.kind === 'none' && state.lastGood !== undefined)) {
    state.usage = plainCopy(state.lastGood);
    return;
  }
  state.lastGood = plainCopy(merged);
}

/** Reports the figures of the stream so far (none until they hold an `input_tokens`). */
function reportState(state: AnthropicStream, stream: StreamTally): void {
  const reading = readAnthropicUsage({ type: 'message', usage: state.usage });
  if (reading.kind === 'usage') stream.report(reading, state.final, anthropicUsage);
}

/**
 * Anthropic Messages. Stream: typed events; input and cache counts from
 * `message_start.message.usage`, then each `message_delta.usage` replaces the fields it carries
 * (cumulative, never added); the figures are final once a `message_delta` has a `stop_reason`.
 * Text from `content_block_delta` (text, thinking, tool-input JSON).
 */
export const anthropicUsage: UsageReader = {
  provider: 'anthropic',
  claims: (result) => {
    const usage = peek(result, 'usage');
    return isRecord(usage) && isAnthropicUsageShape(result, usage);
  },
  fromResult: readAnthropicUsage,
  readStreamEvent(event, stream) {
    switch (event.type) {
      case 'message_start': {
        const message = peek(event, 'message');
        stream.model(peek(message, 'model'));
        stream.recognise();
        // a new message starts its figures over
        const state: AnthropicStream = { usage: plainCopy(), lastGood: undefined, final: false };
        stream.setState(anthropicUsage, state);
        const usage = peek(message, 'usage');
        if (isRecord(usage)) merge(state, usage, stream);
        reportState(state, stream);
        return true;
      }
      case 'message_delta': {
        stream.recognise();
        // without message_start there is no input count to complete: the streamed text is counted
        const state = stream.stateOf(anthropicUsage) as AnthropicStream | undefined;
        if (!state) return true;
        const usage = peek(event, 'usage');
        if (isRecord(usage)) merge(state, usage, stream);
        if (peek(peek(event, 'delta'), 'stop_reason') != null) state.final = true;
        reportState(state, stream);
        return true;
      }
      case 'content_block_delta': {
        const delta = peek(event, 'delta');
        stream.text(peek(delta, 'text'));
        stream.text(peek(delta, 'thinking'));
        stream.text(peek(delta, 'partial_json'));
        return true;
      }
    }
    return SILENT_EVENTS.has(event.type);
  },
};
