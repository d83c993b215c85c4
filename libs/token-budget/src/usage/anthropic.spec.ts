import { countTokens } from '../tokens/tokenizer';
import { anthropicUsage, readAnthropicUsage } from './anthropic';
import { StreamUsageAccumulator } from './stream-usage';

const feed = (events: unknown[]) => {
  const acc = new StreamUsageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
};
const start = (usage: unknown) => ({ type: 'message_start', message: { id: 'msg_1', type: 'message', model: 'claude-sonnet-4-5', usage } });
const text = (t: string) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } });
const messageDelta = (usage: unknown, stopReason: string | null = null) => ({
  type: 'message_delta',
  delta: { stop_reason: stopReason, stop_sequence: null },
  usage,
});

describe('Anthropic usage (usage/anthropic.ts)', () => {
  describe('plain result', () => {
    it('counts cache writes and reads into the input', () => {
      const result = {
        type: 'message',
        model: 'claude-sonnet-4-5',
        usage: {
          input_tokens: 25,
          cache_creation_input_tokens: 1000,
          cache_read_input_tokens: 5,
          output_tokens: 15,
          server_tool_use: { web_search_requests: 1 },
        },
      };
      expect(anthropicUsage.claims(result)).toBe(true);
      expect(anthropicUsage.fromResult(result)).toEqual({
        kind: 'usage',
        usage: {
          inputTokens: 1030,
          outputTokens: 15,
          totalTokens: 1045,
          cachedInputTokens: 5,
          cacheWriteTokens: 1000,
          model: 'claude-sonnet-4-5',
        },
      });
    });

    it('null cache fields read as absent; thinking tokens as reasoning', () => {
      const result = {
        type: 'message',
        usage: { input_tokens: 3, cache_creation_input_tokens: null, output_tokens: 9, output_tokens_details: { thinking_tokens: 4 } },
      };
      expect(readAnthropicUsage(result)).toEqual({
        kind: 'usage',
        usage: { inputTokens: 3, outputTokens: 9, totalTokens: 12, reasoningTokens: 4 },
      });
    });

    it.each([
      ['a negative input', { input_tokens: -25, output_tokens: 1 }, 'usage.input_tokens is -25'],
      ['NaN output', { input_tokens: 25, output_tokens: NaN }, 'usage.output_tokens is NaN'],
      ['a string cache count', { input_tokens: 1, cache_read_input_tokens: '5' }, 'usage.cache_read_input_tokens is the string "5"'],
      [
        'an input past 2^53 with its cache',
        { input_tokens: Number.MAX_SAFE_INTEGER, cache_read_input_tokens: 1 },
        'usage input tokens add up past Number.MAX_SAFE_INTEGER',
      ],
      ['a missing input count', { input_tokens: undefined, cache_read_input_tokens: 1 }, 'usage.input_tokens is undefined'],
    ])('is malformed on %s', (_name, usage, reason) => {
      expect(readAnthropicUsage({ type: 'message', usage })).toEqual({ kind: 'malformed', reason });
    });

    it('does not claim an OpenAI usage (prompt_tokens, or a Responses usage with its total)', () => {
      expect(anthropicUsage.claims({ usage: { prompt_tokens: 1 } })).toBe(false);
      expect(anthropicUsage.claims({ object: 'response', usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } })).toBe(false);
    });
  });

  describe('stream', () => {
    it('input and cache from message_start; message_delta output is cumulative (overwritten, never added)', () => {
      const acc = feed([
        start({ input_tokens: 25, cache_creation_input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 1 }),
        text('Hi'),
        { type: 'ping' },
        messageDelta({ output_tokens: 10 }),
        messageDelta({ output_tokens: 15 }, 'end_turn'),
        { type: 'message_stop' },
      ]);
      expect(acc.usage('interrupted')).toEqual({
        inputTokens: 175,
        outputTokens: 15,
        totalTokens: 190,
        cachedInputTokens: 50,
        cacheWriteTokens: 100,
        model: 'claude-sonnet-4-5',
      });
    });

    it('a message_delta that carries input or cache counts replaces the message_start values; nulls keep them', () => {
      const acc = feed([
        start({ input_tokens: 25, cache_read_input_tokens: 50, output_tokens: 1 }),
        messageDelta({ input_tokens: 30, cache_read_input_tokens: null, output_tokens: 7 }, 'end_turn'),
      ]);
      expect(acc.usage('complete')).toMatchObject({ inputTokens: 80, outputTokens: 7, cachedInputTokens: 50 });
    });

    it('is final only once a message_delta has a stop_reason: a cut stream before it is estimated', () => {
      const cut = feed([
        start({ input_tokens: 25, output_tokens: 1 }),
        text('The quick brown fox jumps'),
        messageDelta({ output_tokens: 2 }),
      ]);
      expect(cut.usage('interrupted', 999)).toMatchObject({
        inputTokens: 25,
        outputTokens: countTokens('The quick brown fox jumps'),
        estimated: true,
      });
      expect(cut.usage('complete')).toMatchObject({ inputTokens: 25, outputTokens: 2 });
    });

    it('counts text, thinking and tool-input JSON deltas when no usage arrives', () => {
      const acc = feed([
        { type: 'content_block_delta', delta: { type: 'thinking_delta', thinking: 'Let me think' } },
        { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json: '{"q":"x"}' } },
        text(' done'),
      ]);
      expect(acc.usage('complete', 4)?.outputTokens).toBe(countTokens('Let me think{"q":"x"} done'));
    });

    it.each([
      ['a negative count', { output_tokens: -3 }],
      ['NaN', { output_tokens: NaN }],
      ['a string', { output_tokens: 'many' }],
      ['a huge count', { output_tokens: 2 ** 64 }],
      ['a foreign OpenAI key', { output_tokens: 5, prompt_tokens: 3 }],
    ])('a message_delta with %s is dropped whole, never spoiling the figures before it', (_name, bad) => {
      const acc = feed([
        start({ input_tokens: 25, output_tokens: 1 }),
        messageDelta({ output_tokens: 12 }),
        messageDelta(bad, 'end_turn'),
        messageDelta({ output_tokens: 14 }),
      ]);
      expect(acc.usage('complete')).toEqual({ inputTokens: 25, outputTokens: 14, totalTokens: 39, model: 'claude-sonnet-4-5' });
    });

    it('a malformed message_start usage is skipped and named; a later delta with input completes it', () => {
      const acc = feed([start({ input_tokens: -1, output_tokens: 1 }), messageDelta({ input_tokens: 9, output_tokens: 4 }, 'end_turn')]);
      expect(acc.malformed).toBe('usage.input_tokens is -1');
      expect(acc.usage('interrupted')).toEqual({ inputTokens: 9, outputTokens: 4, totalTokens: 13, model: 'claude-sonnet-4-5' });
    });

    it('out of order: a message_delta before any message_start has no input to complete: the text is counted', () => {
      const acc = feed([messageDelta({ output_tokens: 15 }, 'end_turn'), text('Hello')]);
      expect(acc.usage('complete', 6)).toEqual({
        inputTokens: 6,
        outputTokens: countTokens('Hello'),
        totalTokens: 6 + countTokens('Hello'),
        estimated: true,
      });
    });

    it('once the stream is an Anthropic message, usage-looking chunks of other shapes do not count', () => {
      const acc = feed([
        start({ input_tokens: 25, output_tokens: 1 }),
        { choices: [], usage: { prompt_tokens: 1_000_000, completion_tokens: 1 } },
        messageDelta({ output_tokens: 15 }, 'end_turn'),
      ]);
      expect(acc.usage('complete')).toMatchObject({ inputTokens: 25, outputTokens: 15, totalTokens: 40 });
    });

    it('a __proto__ key in a message_delta usage is a field like any other, never a prototype', () => {
      const hostile = JSON.parse('{"__proto__": {"input_tokens": 999999, "output_tokens": 999999}, "output_tokens": 3}');
      const acc = feed([start({ input_tokens: 25, output_tokens: 1 }), messageDelta(hostile, 'end_turn')]);
      expect(acc.usage('complete')).toEqual({ inputTokens: 25, outputTokens: 3, totalTokens: 28, model: 'claude-sonnet-4-5' });
      expect(({} as Record<string, unknown>).input_tokens).toBeUndefined();
    });

    it('a second message_start starts the figures over', () => {
      const acc = feed([
        start({ input_tokens: 25, output_tokens: 1 }),
        messageDelta({ output_tokens: 15 }, 'end_turn'),
        start({ input_tokens: 3, output_tokens: 1 }),
      ]);
      expect(acc.usage('complete')).toMatchObject({ inputTokens: 3, outputTokens: 1 });
    });

    it('ping, error and block start/stop events are Anthropic events that carry nothing', () => {
      const acc = feed([
        { type: 'ping' },
        { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
        { type: 'content_block_start', content_block: { text: 'not counted' } },
      ]);
      expect(acc.text).toBe('');
      expect(acc.usage('complete')).toBeUndefined();
    });
  });
});
