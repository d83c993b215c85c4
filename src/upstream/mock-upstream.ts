/** Rough prompt size in tokens: 4 characters a token, 4 tokens of framing per message. */
export function estimatePromptTokens(body: unknown): number {
  const messages = (body as { messages?: unknown })?.messages;
  if (!Array.isArray(messages)) return 0;
  let tokens = 0;
  for (const message of messages) {
    const content = (message as { content?: unknown })?.content;
    tokens += 4 + (typeof content === 'string' ? Math.ceil(content.length / 4) : 0);
  }
  return tokens;
}

/** Output tokens a request may produce: its max_tokens, else the default. */
export function maxOutputTokens(body: unknown, fallback = 256): number {
  const b = body as { max_tokens?: unknown; max_completion_tokens?: unknown };
  const value = b?.max_completion_tokens ?? b?.max_tokens;
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : fallback;
}

/**
 * The built-in upstream, so the gateway runs offline: it answers in OpenAI and Anthropic formats
 * and always uses the whole output allowance, so its usage equals the gateway's estimate.
 */
export class MockUpstream {
  chatCompletion(body: { model?: string } & Record<string, unknown>) {
    const prompt = estimatePromptTokens(body);
    const completion = maxOutputTokens(body);
    return {
      id: `chatcmpl-mock-${Date.now().toString(36)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'mock-gpt',
      choices: [{ index: 0, message: { role: 'assistant', content: 'This is the mock upstream.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    };
  }

  message(body: { model?: string } & Record<string, unknown>) {
    const input = estimatePromptTokens(body);
    const output = maxOutputTokens(body);
    return {
      id: `msg_mock_${Date.now().toString(36)}`,
      type: 'message',
      role: 'assistant',
      model: body.model ?? 'mock-claude',
      content: [{ type: 'text', text: 'This is the mock upstream.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output },
    };
  }
}
