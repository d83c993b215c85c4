import { estimateRequestBody, PricingTable } from 'nestjs-token-budget';
import { ApiError } from '../proxy/api-error';
import { isKnownModel } from './known-models';
import type { AnthropicUpstream, JsonBody, OpenAiUpstream, UpstreamCall } from './upstream';

/** Output tokens the mock produces when a request sets no limit (the gateway holds as many). */
export const MOCK_OUTPUT_TOKENS = 256;
/** Length of the mock's embedding vectors when the request sets no `dimensions`. */
export const MOCK_EMBEDDING_DIMENSIONS = 1536;

const REPLY_WORDS = ['This', ' is', ' the', ' mock', ' upstream', '.'];
const REPLY = REPLY_WORDS.join('');
const tick = (ms: number) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
const now = () => Math.floor(Date.now() / 1000);
const idOf = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Prompt tokens as the library estimates them, and the whole output allowance. */
function mockUsage(body: unknown): { input: number; output: number } {
  const estimate = estimateRequestBody(body, { defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS });
  return { input: estimate?.inputTokens ?? 0, output: estimate?.outputTokens ?? MOCK_OUTPUT_TOKENS };
}

/**
 * The built-in upstream, so the gateway runs offline: it answers in OpenAI (chat completions,
 * responses, embeddings) and Anthropic formats, streaming too. Its usage is what the provider
 * would bill for the prompt (counted as the library counts it) and the whole output allowance
 * (`max_tokens`, `max_completion_tokens`, `max_output_tokens`, else 256), so it equals the
 * gateway's estimate. A model that neither the price catalog nor the `pricing` option knows gets
 * 404 `model_not_found`.
 */
export class MockUpstream implements OpenAiUpstream, AnthropicUpstream {
  readonly target = 'built-in mock';

  /**
   * @param pricing the `pricing` option: models it names are served too
   * @param chunkDelayMs pause before each streamed text chunk (`MOCK_STREAM_DELAY_MS`); 0 yields at once
   */
  constructor(
    private readonly pricing: PricingTable = {},
    private readonly chunkDelayMs = 0,
  ) {}

  async chatCompletions({ body }: UpstreamCall): Promise<unknown> {
    this.checkModel(body);
    return body.stream === true ? this.chatCompletionStream(body) : this.chatCompletion(body);
  }

  async responses({ body }: UpstreamCall): Promise<unknown> {
    this.checkModel(body);
    return body.stream === true ? this.responseStream(body) : this.response(body, 'completed');
  }

  async embeddings({ body }: UpstreamCall): Promise<unknown> {
    this.checkModel(body);
    const inputs = Array.isArray(body.input) && !body.input.every((x) => typeof x === 'number') ? body.input : [body.input];
    const dimensions =
      typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.min(body.dimensions, 4096) : MOCK_EMBEDDING_DIMENSIONS;
    const { input } = mockUsage(body);
    return {
      object: 'list',
      data: inputs.map((_, index) => ({
        object: 'embedding',
        index,
        embedding: embedding(index, dimensions, body.encoding_format === 'base64'),
      })),
      model: body.model,
      usage: { prompt_tokens: input, total_tokens: input },
    };
  }

  async messages({ body }: UpstreamCall): Promise<unknown> {
    this.checkModel(body);
    return body.stream === true ? this.messageStream(body) : this.message(body);
  }

  private checkModel(body: JsonBody): void {
    const model = String(body.model);
    if (!isKnownModel(model, this.pricing)) {
      throw new ApiError(
        404,
        `The model '${model}' does not exist (the built-in mock serves the models of the price catalog and of the pricing option).`,
        {
          code: 'model_not_found',
          param: 'model',
        },
      );
    }
  }

  private chatCompletion(body: JsonBody) {
    const { input: prompt, output: completion } = mockUsage(body);
    return {
      id: idOf('chatcmpl-mock-'),
      object: 'chat.completion',
      created: now(),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: REPLY, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    };
  }

  /**
   * Chunk objects as OpenAI streams them: the role in the first delta (with empty content), the
   * reply word by word, the `finish_reason` chunk, then the usage chunk when
   * `stream_options.include_usage` is set.
   */
  private async *chatCompletionStream(body: JsonBody) {
    const base = {
      id: idOf('chatcmpl-mock-'),
      object: 'chat.completion.chunk',
      created: now(),
      model: body.model,
      system_fingerprint: null,
    };
    yield {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
      usage: null,
    };
    for (const word of REPLY_WORDS) {
      await tick(this.chunkDelayMs);
      yield { ...base, choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }], usage: null };
    }
    yield { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null };
    if ((body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true) {
      const { usage } = this.chatCompletion(body);
      yield { ...base, choices: [], usage };
    }
  }

  private response(body: JsonBody, status: 'in_progress' | 'completed', id = idOf('resp_mock_')) {
    const { input, output } = mockUsage(body);
    const done = status === 'completed';
    return {
      id,
      object: 'response',
      created_at: now(),
      status,
      model: body.model,
      output: done ? [this.responseMessage(id, 'completed')] : [],
      usage: done
        ? {
            input_tokens: input,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: output,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: input + output,
          }
        : null,
    };
  }

  private responseMessage(id: string, status: 'in_progress' | 'completed', text = REPLY) {
    return {
      type: 'message',
      id: `msg_${id}`,
      status,
      role: 'assistant',
      content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
    };
  }

  /** Responses API events (`response.created` ... `response.completed`, which carries the usage). */
  private async *responseStream(body: JsonBody) {
    const started = this.response(body, 'in_progress');
    const itemId = `msg_${started.id}`;
    let sequence_number = 0;
    const part = (text: string) => ({ type: 'output_text', text, annotations: [] });
    yield { type: 'response.created', sequence_number: sequence_number++, response: started };
    yield { type: 'response.in_progress', sequence_number: sequence_number++, response: started };
    yield {
      type: 'response.output_item.added',
      sequence_number: sequence_number++,
      output_index: 0,
      item: this.responseMessage(started.id, 'in_progress'),
    };
    yield {
      type: 'response.content_part.added',
      sequence_number: sequence_number++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: part(''),
    };
    for (const word of REPLY_WORDS) {
      await tick(this.chunkDelayMs);
      yield {
        type: 'response.output_text.delta',
        sequence_number: sequence_number++,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: word,
        logprobs: [],
      };
    }
    yield {
      type: 'response.output_text.done',
      sequence_number: sequence_number++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text: REPLY,
      logprobs: [],
    };
    yield {
      type: 'response.content_part.done',
      sequence_number: sequence_number++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: part(REPLY),
    };
    yield {
      type: 'response.output_item.done',
      sequence_number: sequence_number++,
      output_index: 0,
      item: this.responseMessage(started.id, 'completed'),
    };
    yield { type: 'response.completed', sequence_number: sequence_number++, response: this.response(body, 'completed', started.id) };
  }

  private message(body: JsonBody) {
    const { input, output } = mockUsage(body);
    return {
      id: idOf('msg_mock_'),
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: REPLY }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output },
    };
  }

  /**
   * Anthropic stream events as the API sends them (`message_start`, `content_block_start`, `ping`,
   * `content_block_delta`s, `content_block_stop`, `message_delta`, `message_stop`): input in
   * `message_start`, output in `message_delta`.
   */
  private async *messageStream(body: JsonBody) {
    const { id, model, usage } = this.message(body);
    yield {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    };
    yield { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
    yield { type: 'ping' };
    for (const word of REPLY_WORDS) {
      await tick(this.chunkDelayMs);
      yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } };
    }
    yield { type: 'content_block_stop', index: 0 };
    yield { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } };
    yield { type: 'message_stop' };
  }
}

/** A deterministic unit-length vector; base64 is the little-endian float32 bytes, as OpenAI sends it. */
function embedding(index: number, dimensions: number, base64: boolean): number[] | string {
  const values = Array.from({ length: dimensions }, (_, i) => Math.sin(index * 7919 + i + 1));
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  const unit = values.map((v) => v / norm);
  return base64 ? Buffer.from(new Float32Array(unit).buffer).toString('base64') : unit;
}
