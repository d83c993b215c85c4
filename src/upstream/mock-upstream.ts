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
  /** @param chunkDelayMs pause before each streamed text chunk (`MOCK_STREAM_DELAY_MS`); 0 yields at once. */
  constructor(private readonly chunkDelayMs = 0) {}

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

  /**
   * A streamed chat completion, chunk objects as the openai SDK yields them: the reply word by
   * word, the `finish_reason` chunk, then the usage chunk when `stream_options.include_usage` is set.
   */
  async *chatCompletionStream(body: { model?: string } & Record<string, unknown>) {
    const base = { id: `chatcmpl-mock-${Date.now().toString(36)}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model ?? 'mock-gpt' };
    for (const word of REPLY_WORDS) {
      await tick(this.chunkDelayMs);
      yield { ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }], usage: null };
    }
    yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null };
    if ((body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true) {
      const { usage } = this.chatCompletion(body);
      yield { ...base, choices: [], usage };
    }
  }

  /** A streamed Anthropic message, as raw stream events (`message_start` ... `message_stop`). */
  async *messageStream(body: { model?: string } & Record<string, unknown>) {
    const { id, model, usage } = this.message(body);
    yield { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } };
    yield { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
    for (const word of REPLY_WORDS) {
      await tick(this.chunkDelayMs);
      yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } };
    }
    yield { type: 'content_block_stop', index: 0 };
    yield { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } };
    yield { type: 'message_stop' };
  }
}

const REPLY_WORDS = ['This', ' is', ' the', ' mock', ' upstream', '.'];
const tick = (ms: number) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
