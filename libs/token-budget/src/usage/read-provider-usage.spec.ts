import { readAnthropicUsage } from './anthropic';
import { readProviderUsage } from './providers';
import { readGeminiUsage } from './gemini';
import { readOllamaUsage } from './ollama';
import { readOpenAiUsage } from './openai-chat';

const chatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4.1',
  choices: [],
  usage: {
    prompt_tokens: 1486,
    completion_tokens: 651,
    total_tokens: 2137,
    prompt_tokens_details: { cached_tokens: 1408, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 512,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
};

const chatUsageChunk = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1741569952,
  model: 'gpt-4.1',
  choices: [],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 10,
    total_tokens: 29,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
};

const chatContentChunk = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1741569952,
  model: 'gpt-4.1',
  choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
  usage: null,
};

const responseCompleted = {
  type: 'response.completed',
  sequence_number: 9,
  response: {
    id: 'resp_1',
    object: 'response',
    status: 'completed',
    usage: {
      input_tokens: 36,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 87,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 123,
    },
  },
};

const responseCreated = {
  type: 'response.created',
  sequence_number: 0,
  response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [], usage: null },
};

const embeddings = {
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.0023, -0.0093] }],
  model: 'text-embedding-3-small',
  usage: { prompt_tokens: 8, total_tokens: 8 },
};

const anthropicMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [],
  usage: {
    input_tokens: 25,
    cache_creation_input_tokens: 1000,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 0 },
    output_tokens: 15,
    server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
    service_tier: 'standard',
  },
};

const anthropicStartMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  content: [],
  model: 'claude-sonnet-4-5',
  stop_reason: null,
  stop_sequence: null,
  usage: { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
};

const gemini = {
  candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: {
    promptTokenCount: 11,
    cachedContentTokenCount: 0,
    candidatesTokenCount: 227,
    toolUsePromptTokenCount: 0,
    thoughtsTokenCount: 22,
    totalTokenCount: 260,
  },
};

const geminiLastChunk = {
  candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 2, totalTokenCount: 13 },
};

const ollamaChat = {
  model: 'llama3.2',
  created_at: '2023-12-12T14:13:43Z',
  message: { role: 'assistant', content: 'Hello!' },
  done: true,
  done_reason: 'stop',
  total_duration: 5191566416,
  load_duration: 2154458,
  prompt_eval_count: 26,
  prompt_eval_duration: 383809000,
  eval_count: 298,
  eval_duration: 4799921000,
};

const ollamaStreamLast = {
  model: 'llama3.2',
  created_at: '2023-08-04T08:52:23Z',
  message: { role: 'assistant', content: '' },
  done: true,
  done_reason: 'stop',
  total_duration: 4883583458,
  prompt_eval_count: 26,
  eval_count: 282,
  eval_duration: 4535599000,
};

const ollamaStreamFirst = {
  model: 'llama3.2',
  created_at: '2023-08-04T08:52:19Z',
  message: { role: 'assistant', content: 'The' },
  done: false,
};

const groqCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'llama3-8b-8192',
  choices: [],
  usage: {
    queue_time: 0.0753,
    prompt_tokens: 23,
    prompt_time: 0.006,
    completion_tokens: 19,
    completion_time: 0.022,
    total_tokens: 42,
    total_time: 0.028,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
  x_groq: { id: 'req_01', usage: { dram_cached_tokens: 7, sram_cached_tokens: 3 } },
};

const groqFinalChunk = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1716131679,
  model: 'llama3-8b-8192',
  choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
  x_groq: {
    id: 'req_01',
    usage: {
      queue_time: 0.075,
      prompt_tokens: 23,
      prompt_time: 0.006,
      completion_tokens: 19,
      completion_time: 0.022,
      total_tokens: 42,
      total_time: 0.028,
    },
  },
};

function withUsage<T extends { usage: object }>(base: T, patch: Record<string, unknown>): T {
  return { ...base, usage: { ...base.usage, ...patch } };
}

describe('readProviderUsage', () => {
  describe('OpenAI Chat Completions', () => {
    it('reads prompt, completion, cached and reasoning tokens', () => {
      expect(readProviderUsage(chatCompletion)).toStrictEqual({
        kind: 'usage',
        usage: {
          inputTokens: 1486,
          outputTokens: 651,
          totalTokens: 2137,
          cachedInputTokens: 1408,
          reasoningTokens: 512,
          model: 'gpt-4.1',
        },
      });
    });

    it('reads the include_usage chunk and keeps zero details', () => {
      expect(readProviderUsage(chatUsageChunk)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 19, outputTokens: 10, totalTokens: 29, cachedInputTokens: 0, reasoningTokens: 0, model: 'gpt-4.1' },
      });
    });

    it('gives none for a content chunk with usage null', () => {
      expect(readProviderUsage(chatContentChunk)).toEqual({ kind: 'none' });
    });

    it('reads prompt_tokens_details.cache_write_tokens', () => {
      const result = withUsage(chatCompletion, { prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 400 } });
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: {
          inputTokens: 1486,
          outputTokens: 651,
          totalTokens: 2137,
          cachedInputTokens: 1000,
          cacheWriteTokens: 400,
          reasoningTokens: 512,
          model: 'gpt-4.1',
        },
      });
    });

    it('omits details that are null and derives a missing total', () => {
      const result = { usage: { prompt_tokens: 26, completion_tokens: 298, prompt_tokens_details: null, completion_tokens_details: null } };
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 26, outputTokens: 298, totalTokens: 324 },
      });
    });

    it('charges prompt + completion when total_tokens is smaller', () => {
      const result = { usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 20 } };
      expect(readProviderUsage(result)).toStrictEqual({ kind: 'usage', usage: { inputTokens: 100, outputTokens: 50, totalTokens: 150 } });
    });

    it('reads the Ollama /v1 usage', () => {
      const result = {
        object: 'chat.completion',
        model: 'llama3.2',
        usage: { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 },
      };
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 26, outputTokens: 298, totalTokens: 324, model: 'llama3.2' },
      });
    });
  });

  describe('OpenAI Embeddings', () => {
    it('reads input-only usage', () => {
      expect(readProviderUsage(embeddings)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 8, outputTokens: 0, totalTokens: 8, model: 'text-embedding-3-small' },
      });
    });
  });

  describe('OpenAI Responses API', () => {
    it('reads the response.completed event', () => {
      expect(readProviderUsage(responseCompleted)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 36, outputTokens: 87, totalTokens: 123, cachedInputTokens: 0, reasoningTokens: 0 },
      });
    });

    it('reads the non-stream response object with model', () => {
      const response = { ...responseCompleted.response, model: 'gpt-4.1' };
      expect(readProviderUsage(response)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 36, outputTokens: 87, totalTokens: 123, cachedInputTokens: 0, reasoningTokens: 0, model: 'gpt-4.1' },
      });
    });

    it.each(['response.incomplete', 'response.failed'])('reads the %s event', (type) => {
      const event = { ...responseCompleted, type };
      expect(readProviderUsage(event)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 36, outputTokens: 87, totalTokens: 123, cachedInputTokens: 0, reasoningTokens: 0 },
      });
    });

    it('reads input_tokens_details.cache_write_tokens', () => {
      const response = withUsage(responseCompleted.response, {
        input_tokens_details: { cached_tokens: 20, cache_write_tokens: 10 },
        output_tokens_details: { reasoning_tokens: 40 },
      });
      expect(readProviderUsage(response)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 36, outputTokens: 87, totalTokens: 123, cachedInputTokens: 20, cacheWriteTokens: 10, reasoningTokens: 40 },
      });
    });

    it('gives none for response.created (usage null)', () => {
      expect(readProviderUsage(responseCreated)).toEqual({ kind: 'none' });
    });

    it('does not unwrap non-terminal events', () => {
      expect(readProviderUsage({ ...responseCompleted, type: 'response.in_progress' })).toEqual({ kind: 'none' });
    });
  });

  describe('Anthropic Messages', () => {
    it('sums cache creation and cache read into input tokens', () => {
      expect(readProviderUsage(anthropicMessage)).toStrictEqual({
        kind: 'usage',
        usage: {
          inputTokens: 1025,
          outputTokens: 15,
          totalTokens: 1040,
          cachedInputTokens: 0,
          cacheWriteTokens: 1000,
          model: 'claude-sonnet-4-5',
        },
      });
    });

    it('counts cache reads as cached input', () => {
      const result = withUsage(anthropicMessage, { input_tokens: 10, cache_creation_input_tokens: 200, cache_read_input_tokens: 3000 });
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: {
          inputTokens: 3210,
          outputTokens: 15,
          totalTokens: 3225,
          cachedInputTokens: 3000,
          cacheWriteTokens: 200,
          model: 'claude-sonnet-4-5',
        },
      });
    });

    it('reads the message_start message', () => {
      expect(readProviderUsage(anthropicStartMessage)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 25, outputTokens: 1, totalTokens: 26, cachedInputTokens: 0, cacheWriteTokens: 0, model: 'claude-sonnet-4-5' },
      });
    });

    it('omits null cache fields and reads thinking tokens', () => {
      const result = withUsage(anthropicMessage, {
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        output_tokens: 700,
        output_tokens_details: { thinking_tokens: 650 },
      });
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 25, outputTokens: 700, totalTokens: 725, reasoningTokens: 650, model: 'claude-sonnet-4-5' },
      });
    });

    it('omits a null thinking_tokens', () => {
      const result = { usage: { input_tokens: 5, output_tokens: 7, output_tokens_details: { thinking_tokens: null } } };
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 },
      });
    });

    it('treats input_tokens without total_tokens as Anthropic even without type', () => {
      const result = { usage: { input_tokens: 25, output_tokens: 15 } };
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 25, outputTokens: 15, totalTokens: 40 },
      });
    });

    it('gives none for a message_delta event (no input_tokens)', () => {
      const event = { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } };
      expect(readProviderUsage(event)).toEqual({ kind: 'none' });
    });
  });

  describe('Gemini', () => {
    it('bills thoughts as output and reports them as reasoning', () => {
      expect(readProviderUsage(gemini)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 11, outputTokens: 249, totalTokens: 260, cachedInputTokens: 0, reasoningTokens: 22 },
      });
    });

    it('adds tool-use prompt tokens to input and reads modelVersion', () => {
      const result = {
        modelVersion: 'gemini-2.5-flash',
        usageMetadata: {
          promptTokenCount: 100,
          cachedContentTokenCount: 60,
          candidatesTokenCount: 30,
          toolUsePromptTokenCount: 5,
          thoughtsTokenCount: 7,
          totalTokenCount: 142,
        },
      };
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: {
          inputTokens: 105,
          outputTokens: 37,
          totalTokens: 142,
          cachedInputTokens: 60,
          reasoningTokens: 7,
          model: 'gemini-2.5-flash',
        },
      });
    });

    it('defaults missing counts to 0 (last stream chunk)', () => {
      expect(readProviderUsage(geminiLastChunk)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 11, outputTokens: 2, totalTokens: 13 },
      });
    });
  });

  describe('Ollama native', () => {
    it('reads prompt_eval_count and eval_count', () => {
      expect(readProviderUsage(ollamaChat)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 26, outputTokens: 298, totalTokens: 324, model: 'llama3.2', provider: 'ollama' },
      });
    });

    it('treats an omitted prompt_eval_count as 0', () => {
      const { prompt_eval_count: _omitted, ...cached } = ollamaChat;
      expect(readProviderUsage(cached)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 0, outputTokens: 298, totalTokens: 298, model: 'llama3.2', provider: 'ollama' },
      });
    });

    it('reads a generate result with both counts omitted', () => {
      const result = { model: 'llama3.2', response: '', done: true, done_reason: 'stop' };
      expect(readProviderUsage(result)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, model: 'llama3.2', provider: 'ollama' },
      });
    });

    it('reads the final stream line and ignores earlier ones', () => {
      expect(readProviderUsage(ollamaStreamLast)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 26, outputTokens: 282, totalTokens: 308, model: 'llama3.2', provider: 'ollama' },
      });
      expect(readProviderUsage(ollamaStreamFirst)).toEqual({ kind: 'none' });
    });

    it('gives none for done: true without counts or model/done_reason', () => {
      expect(readProviderUsage({ done: true })).toEqual({ kind: 'none' });
      expect(readProviderUsage({ done: true, model: 'llama3.2' })).toEqual({ kind: 'none' });
    });
  });

  describe('Groq', () => {
    it('uses top-level usage and ignores x_groq.usage cache stats', () => {
      expect(readProviderUsage(groqCompletion)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 23, outputTokens: 19, totalTokens: 42, cachedInputTokens: 0, reasoningTokens: 0, model: 'llama3-8b-8192' },
      });
    });

    it('reads x_groq.usage on the final stream chunk', () => {
      expect(readProviderUsage(groqFinalChunk)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 23, outputTokens: 19, totalTokens: 42, model: 'llama3-8b-8192' },
      });
    });

    it('reads x_groq.usage when usage is null', () => {
      expect(readProviderUsage({ ...groqFinalChunk, usage: null })).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 23, outputTokens: 19, totalTokens: 42, model: 'llama3-8b-8192' },
      });
    });

    it('never counts both when both carry token counts', () => {
      const both = { ...groqFinalChunk, usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42 } };
      expect(readProviderUsage(both)).toStrictEqual({
        kind: 'usage',
        usage: { inputTokens: 23, outputTokens: 19, totalTokens: 42, model: 'llama3-8b-8192' },
      });
    });

    it('names the x_groq path when its usage is malformed', () => {
      const chunk = { x_groq: { usage: { prompt_tokens: 23, completion_tokens: -1 } } };
      expect(readProviderUsage(chunk)).toEqual({ kind: 'malformed', reason: 'x_groq.usage.completion_tokens is -1' });
    });
  });

  describe('malformed usage', () => {
    const invalid: [string, unknown, string][] = [
      ['negative', -5, '-5'],
      ['NaN', NaN, 'NaN'],
      ['a numeric string', '12', 'the string "12"'],
      ['a fraction', 1.5, '1.5'],
      ['Infinity', Infinity, 'Infinity'],
      ['past MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1, '9007199254740992'],
      ['a boolean', true, 'true'],
      ['an object', {}, 'an object'],
    ];

    it.each(invalid)('OpenAI chat completion_tokens %s', (_label, value, shown) => {
      expect(readProviderUsage(withUsage(chatCompletion, { completion_tokens: value }))).toEqual({
        kind: 'malformed',
        reason: `usage.completion_tokens is ${shown}`,
      });
    });

    it.each(invalid)('OpenAI chat nested cached_tokens %s', (_label, value, shown) => {
      expect(readProviderUsage(withUsage(chatCompletion, { prompt_tokens_details: { cached_tokens: value } }))).toEqual({
        kind: 'malformed',
        reason: `usage.prompt_tokens_details.cached_tokens is ${shown}`,
      });
    });

    it.each(invalid)('Responses output_tokens_details.reasoning_tokens %s', (_label, value, shown) => {
      const event = {
        ...responseCompleted,
        response: withUsage(responseCompleted.response, { output_tokens_details: { reasoning_tokens: value } }),
      };
      expect(readProviderUsage(event)).toEqual({
        kind: 'malformed',
        reason: `usage.output_tokens_details.reasoning_tokens is ${shown}`,
      });
    });

    it.each(invalid)('Anthropic cache_read_input_tokens %s', (_label, value, shown) => {
      expect(readProviderUsage(withUsage(anthropicMessage, { cache_read_input_tokens: value }))).toEqual({
        kind: 'malformed',
        reason: `usage.cache_read_input_tokens is ${shown}`,
      });
    });

    it.each(invalid)('Gemini thoughtsTokenCount %s', (_label, value, shown) => {
      const result = { ...gemini, usageMetadata: { ...gemini.usageMetadata, thoughtsTokenCount: value } };
      expect(readProviderUsage(result)).toEqual({ kind: 'malformed', reason: `usageMetadata.thoughtsTokenCount is ${shown}` });
    });

    it.each(invalid)('Ollama eval_count %s', (_label, value, shown) => {
      expect(readProviderUsage({ ...ollamaChat, eval_count: value })).toEqual({ kind: 'malformed', reason: `eval_count is ${shown}` });
    });

    it('rejects a null required count', () => {
      expect(readProviderUsage(withUsage(chatCompletion, { prompt_tokens: null }))).toEqual({
        kind: 'malformed',
        reason: 'usage.prompt_tokens is null',
      });
      expect(readProviderUsage(withUsage(anthropicMessage, { input_tokens: null }))).toEqual({
        kind: 'malformed',
        reason: 'usage.input_tokens is null',
      });
    });

    it('rejects a details field that is not an object', () => {
      expect(readProviderUsage(withUsage(chatCompletion, { completion_tokens_details: 'x' }))).toEqual({
        kind: 'malformed',
        reason: 'usage.completion_tokens_details is the string "x"',
      });
    });

    it('rejects counts whose sum is past MAX_SAFE_INTEGER', () => {
      const result = { usage: { input_tokens: Number.MAX_SAFE_INTEGER, output_tokens: 1 } };
      expect(readProviderUsage(result)).toEqual({
        kind: 'malformed',
        reason: 'usage token counts add up past Number.MAX_SAFE_INTEGER',
      });
    });
  });

  describe('results without usage', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['a string', 'text'],
      ['a number', 42],
      ['a boolean', true],
      ['an array', []],
      ['an array of results', [chatCompletion]],
      ['an empty object', {}],
      ['usage null', { usage: null }],
      ['usage a number', { usage: 12 }],
      ['usage without known keys', { usage: { foo: 1 } }],
      ['usageMetadata null', { usageMetadata: null }],
      ['x_groq without usage', { x_groq: { id: 'req_01' } }],
      ['a function', () => chatCompletion],
    ])('gives none for %s', (_label, result) => {
      expect(readProviderUsage(result)).toEqual({ kind: 'none' });
    });
  });

  describe('hostile inputs', () => {
    it('gives none when the usage getter throws', () => {
      const result = {
        get usage(): unknown {
          throw new Error('boom');
        },
      };
      expect(readProviderUsage(result)).toEqual({ kind: 'none' });
    });

    it('gives malformed when a count getter throws', () => {
      const result = {
        model: 'gpt-4.1',
        usage: {
          prompt_tokens: 10,
          get completion_tokens(): unknown {
            throw new Error('boom');
          },
        },
      };
      expect(readProviderUsage(result)).toEqual({ kind: 'malformed', reason: 'usage could not be read (boom)' });
    });

    it('gives malformed when the thrown error has a throwing message', () => {
      const nasty = {
        get message(): string {
          throw new Error('again');
        },
      };
      Object.setPrototypeOf(nasty, Error.prototype);
      const result = {
        usage: {
          get input_tokens(): unknown {
            throw nasty;
          },
        },
      };
      expect(readProviderUsage(result)).toEqual({ kind: 'malformed', reason: 'usage could not be read (unknown error)' });
    });

    it('gives none for a proxy that throws on every operation', () => {
      const trap = (): never => {
        throw new Error('trap');
      };
      const proxy = new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap });
      expect(readProviderUsage(proxy)).toEqual({ kind: 'none' });
    });

    it('gives none for a revoked proxy', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      expect(readProviderUsage(proxy)).toEqual({ kind: 'none' });
    });

    it('never throws for any reader', () => {
      const throwing = new Proxy(
        {},
        {
          get: () => {
            throw new Error('x');
          },
        },
      );
      for (const read of [readOpenAiUsage, readAnthropicUsage, readGeminiUsage, readOllamaUsage, readProviderUsage]) {
        for (const input of [null, undefined, 0, 'x', [], {}, throwing, { usage: throwing }, { usageMetadata: throwing }]) {
          expect(() => read(input)).not.toThrow();
        }
      }
    });
  });
});

describe('provider readers on foreign shapes', () => {
  it('readOpenAiUsage gives none for Anthropic, Gemini and Ollama results', () => {
    expect(readOpenAiUsage(anthropicMessage)).toEqual({ kind: 'none' });
    expect(readOpenAiUsage(gemini)).toEqual({ kind: 'none' });
    expect(readOpenAiUsage(ollamaChat)).toEqual({ kind: 'none' });
  });

  it('readOpenAiUsage ignores x_groq.usage when top-level usage is set but not an object', () => {
    expect(readOpenAiUsage({ ...groqFinalChunk, usage: 'n/a' })).toEqual({ kind: 'none' });
  });

  it('readAnthropicUsage gives none for OpenAI chat and Responses results', () => {
    expect(readAnthropicUsage(chatCompletion)).toEqual({ kind: 'none' });
    expect(readAnthropicUsage(responseCompleted.response)).toEqual({ kind: 'none' });
  });

  it('readGeminiUsage and readOllamaUsage give none for OpenAI results', () => {
    expect(readGeminiUsage(chatCompletion)).toEqual({ kind: 'none' });
    expect(readOllamaUsage(chatCompletion)).toEqual({ kind: 'none' });
  });
});
