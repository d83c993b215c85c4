import { hasKey, peek, UnknownRecord } from './usage-fields';

/**
 * Tells an Anthropic Messages `usage` from an OpenAI Responses one, as both use `input_tokens`:
 * Anthropic when the result is a `message`, the usage has a cache key, or it has no `total_tokens`.
 */
export function isAnthropicUsageShape(result: unknown, usage: UnknownRecord): boolean {
  if (!hasKey(usage, 'input_tokens') || hasKey(usage, 'prompt_tokens')) return false;
  return (
    peek(result, 'type') === 'message' ||
    hasKey(usage, 'cache_creation_input_tokens') ||
    hasKey(usage, 'cache_read_input_tokens') ||
    !hasKey(usage, 'total_tokens')
  );
}
