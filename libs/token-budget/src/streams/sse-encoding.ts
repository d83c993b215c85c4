/** One chunk object as an SSE event, the way providers frame it: `event: <type>` when it has one. */
export function encodeSseEvent(chunk: unknown): string {
  const type = (chunk as { type?: unknown })?.type;
  const data = JSON.stringify(chunk) ?? 'null';
  return typeof type === 'string' && /^[\w.-]+$/.test(type) ? `event: ${type}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

/** True for an OpenAI chat chunk, whose streams end with `data: [DONE]`. */
export function isChatChunk(chunk: unknown): boolean {
  return (chunk as { object?: unknown })?.object === 'chat.completion.chunk';
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** True when `chunk` is bytes or text (a raw stream) rather than a chunk object. */
export function isRawChunk(chunk: unknown): chunk is string | Uint8Array {
  return typeof chunk === 'string' || chunk instanceof Uint8Array;
}
