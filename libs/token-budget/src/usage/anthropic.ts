import { isAnthropicUsageShape } from './anthropic-shape';
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
