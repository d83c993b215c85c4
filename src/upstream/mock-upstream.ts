import { estimateRequestBody } from 'nestjs-token-budget';

/** Output tokens the mock produces when a request sets no limit (the gateway holds as many). */
export const MOCK_OUTPUT_TOKENS = 256;

/** Prompt tokens as the library estimates them, and the whole output allowance. */
function mockUsage(body: unknown): { input: number; output: number } {
  const estimate = estimateRequestBody(body, { defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS });
  return { input: estimate?.inputTokens ?? 0, output: estimate?.outputTokens ?? MOCK_OUTPUT_TOKENS };
}

/**
 * The built-in upstream, so the gateway runs offline: it answers in OpenAI and Anthropic formats
 * and always uses the whole output allowance, so its usage equals the gateway's estimate.
 */
export class MockUpstream {
  chatCompletion(body: { model?: string } & Record<string, unknown>) {
    const { input: prompt, output: completion } = mockUsage(body);
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
    const { input, output } = mockUsage(body);
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
