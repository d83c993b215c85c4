import { isRecord, itemsOf, jsonOf } from './body-fields';
import { IMAGE_TOKENS, MEDIA_TOKENS, PromptCounter } from './prompt-counter';

const IMAGE_PARTS = new Set(['image_url', 'input_image', 'image']);
const MEDIA_PARTS = new Set(['input_audio', 'audio', 'file', 'input_file', 'document', 'video']);
/** Tool results may hold content parts; deeper nesting than this is not counted. */
const MAX_DEPTH = 3;

/**
 * Counts message content: a string, or an array of parts (OpenAI `text` / `input_text` /
 * `image_url` / `input_audio` / `file`, Anthropic `text` / `image` / `document` / `tool_use` /
 * `tool_result` / `thinking`). Images and other media count a flat allowance.
 */
export function countContent(content: unknown, counter: PromptCounter, depth = 0): void {
  if (typeof content === 'string') return counter.text(content);
  if (depth > MAX_DEPTH) return;
  for (const part of itemsOf(content)) {
    if (typeof part === 'string') {
      counter.text(part);
      continue;
    }
    if (!isRecord(part)) continue;
    const type = typeof part.type === 'string' ? part.type : '';
    if (IMAGE_PARTS.has(type)) counter.add(IMAGE_TOKENS);
    else if (MEDIA_PARTS.has(type)) counter.add(MEDIA_TOKENS);
    else if (type === 'refusal') counter.text(part.refusal);
    else if (type === 'thinking') counter.text(part.thinking);
    else if (type === 'tool_use' || type === 'server_tool_use') {
      counter.text(part.name);
      counter.text(jsonOf(part.input));
    } else if (type === 'tool_result') countContent(part.content, counter, depth + 1);
    else counter.text(part.text);
  }
}
