import { countTokens } from '../tokens/tokenizer';
import { openAiChatUsage, readOpenAiUsage } from './openai-chat';
import { StreamUsageAccumulator } from './stream-usage';

const feed = (events: unknown[]) => {
  const acc = new StreamUsageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
};
const chunk = (content: string) => ({
  object: 'chat.completion.chunk',
  model: 'gpt-4.1',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
  usage: null,
});
const usageChunk = (usage: unknown) => ({ object: 'chat.completion.chunk', model: 'gpt-4.1', choices: [], usage });

describe('OpenAI chat usage (usage/openai-chat.ts)', () => {
  describe('plain result', () => {
    it('reads prompt, completion, cached and reasoning counts', () => {
      const result = {
        object: 'chat.completion',
        model: 'gpt-4.1',
        usage: {
          prompt_tokens: 1486,
          completion_tokens: 651,
          total_tokens: 2137,
          prompt_tokens_details: { cached_tokens: 1408 },
          completion_tokens_details: { reasoning_tokens: 512 },
        },
      };
      expect(openAiChatUsage.claims(result)).toBe(true);
      expect(openAiChatUsage.fromResult(result)).toEqual({
        kind: 'usage',
        usage: { inputTokens: 1486, outputTokens: 651, totalTokens: 2137, cachedInputTokens: 1408, reasoningTokens: 512, model: 'gpt-4.1' },
      });
    });

    it('reads embeddings (input only) and Groq x_groq.usage when usage is absent', () => {
      expect(readOpenAiUsage({ usage: { prompt_tokens: 8, total_tokens: 8 } })).toEqual({
        kind: 'usage',
        usage: { inputTokens: 8, outputTokens: 0, totalTokens: 8 },
      });
      const groq = { x_groq: { usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42, queue_time: 0.07 } } };
      expect(openAiChatUsage.claims(groq)).toBe(true);
      expect(readOpenAiUsage(groq)).toEqual({ kind: 'usage', usage: { inputTokens: 23, outputTokens: 19, totalTokens: 42 } });
    });

    it('charges the parts when total_tokens is below them', () => {
      expect(readOpenAiUsage({ usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 1 } })).toMatchObject({
        usage: { totalTokens: 15 },
      });
    });

    it.each([
      ['a negative count', { prompt_tokens: -1, completion_tokens: 3 }, 'usage.prompt_tokens is -1'],
      ['NaN', { prompt_tokens: NaN }, 'usage.prompt_tokens is NaN'],
      ['a numeric string', { prompt_tokens: '12' }, 'usage.prompt_tokens is the string "12"'],
      ['a fraction', { prompt_tokens: 1.5 }, 'usage.prompt_tokens is 1.5'],
      ['a count past 2^53', { prompt_tokens: 2 ** 60 }, `usage.prompt_tokens is ${2 ** 60}`],
      ['a missing prompt count', { prompt_tokens: null, completion_tokens: 3 }, 'usage.prompt_tokens is null'],
      ['details of the wrong type', { prompt_tokens: 1, prompt_tokens_details: 'x' }, 'usage.prompt_tokens_details is the string "x"'],
      [
        'counts adding up past 2^53',
        { prompt_tokens: Number.MAX_SAFE_INTEGER, completion_tokens: 1 },
        'usage token counts add up past Number.MAX_SAFE_INTEGER',
      ],
    ])('is malformed on %s, naming the field', (_name, usage, reason) => {
      expect(readOpenAiUsage({ usage })).toEqual({ kind: 'malformed', reason });
    });

    it('does not claim Anthropic-shaped or absent usage, nor x_groq beside a usage that is not an object', () => {
      expect(openAiChatUsage.claims({ type: 'message', usage: { input_tokens: 1, output_tokens: 2 } })).toBe(false);
      expect(openAiChatUsage.claims({ choices: [] })).toBe(false);
      expect(openAiChatUsage.claims({ usage: 'x', x_groq: { usage: { prompt_tokens: 1 } } })).toBe(false);
      expect(openAiChatUsage.claims(null)).toBe(false);
    });
  });

  describe('stream', () => {
    it('takes the include_usage chunk (choices: [] after the finish chunk) and the chunk model', () => {
      const acc = feed([
        chunk('Hel'),
        chunk('lo'),
        { ...chunk(''), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
        usageChunk({ prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 }),
      ]);
      expect(acc.usage('interrupted', 999)).toEqual({ inputTokens: 19, outputTokens: 10, totalTokens: 29, model: 'gpt-4.1' });
    });

    it('without usage counts content, reasoning and tool-call arguments, estimated', () => {
      const acc = feed([
        chunk('The quick'),
        { choices: [{ delta: { reasoning_content: ' brown' } }] },
        { choices: [{ delta: { tool_calls: [{ function: { arguments: '{"a":1}' } }] } }] },
      ]);
      const output = countTokens('The quick brown{"a":1}', 'gpt-4.1');
      expect(acc.usage('complete', 7)).toEqual({
        inputTokens: 7,
        outputTokens: output,
        totalTokens: 7 + output,
        model: 'gpt-4.1',
        estimated: true,
      });
    });

    it('Groq: x_groq.usage on the finish chunk, replaced (never added) by a later usage chunk', () => {
      const groq = {
        choices: [{ delta: {}, finish_reason: 'stop' }],
        x_groq: { usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42 } },
      };
      expect(
        feed([chunk('a'), groq, usageChunk({ prompt_tokens: 23, completion_tokens: 19, total_tokens: 42 })]).usage('complete')?.totalTokens,
      ).toBe(42);
    });

    it.each([
      ['a negative count', { prompt_tokens: -5, completion_tokens: 3 }],
      ['NaN', { prompt_tokens: NaN, completion_tokens: 3 }],
      ['a string', { prompt_tokens: 'many', completion_tokens: 3 }],
      ['a huge count', { prompt_tokens: 1e300, completion_tokens: 3 }],
      ['a missing prompt count', { completion_tokens: 3 }],
    ])('skips a usage chunk with %s, keeping the figures before it and naming the reason', (_name, bad) => {
      const acc = feed([chunk('Hi'), usageChunk({ prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 }), usageChunk(bad)]);
      expect(acc.usage('complete')).toEqual({ inputTokens: 19, outputTokens: 10, totalTokens: 29, model: 'gpt-4.1' });
      if ('prompt_tokens' in bad) expect(acc.malformed).toMatch(/^usage\.prompt_tokens is /);
    });

    it('a malformed usage chunk alone leaves the streamed text to be counted', () => {
      const acc = feed([chunk('Hello there'), usageChunk({ prompt_tokens: -1 })]);
      expect(acc.usage('complete', 4)).toMatchObject({
        inputTokens: 4,
        outputTokens: countTokens('Hello there', 'gpt-4.1'),
        estimated: true,
      });
    });

    it('the usage chunk before the text (out of order) still gives the provider figures', () => {
      const acc = feed([usageChunk({ prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 }), chunk('late text')]);
      expect(acc.usage('complete')).toEqual({ inputTokens: 19, outputTokens: 10, totalTokens: 29, model: 'gpt-4.1' });
    });

    it('ignores choices of the wrong type and deltas that are not text', () => {
      const acc = feed([{ choices: 'x' }, { choices: [null, 5, { delta: { content: 42 } }, { delta: 'x' }] }]);
      expect(acc.text).toBe('');
      expect(acc.sawProviderEvents).toBe(true); // a choices array is a chat chunk, even an empty one
    });
  });
});
