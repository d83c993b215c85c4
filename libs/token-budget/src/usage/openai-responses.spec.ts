import { countTokens } from '../tokens/tokenizer';
import { openAiResponsesUsage } from './openai-responses';
import { readProviderUsage } from './providers';
import { StreamUsageAccumulator } from './stream-usage';

const feed = (events: unknown[]) => {
  const acc = new StreamUsageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
};
const usage = {
  input_tokens: 36,
  input_tokens_details: { cached_tokens: 6 },
  output_tokens: 87,
  output_tokens_details: { reasoning_tokens: 20 },
  total_tokens: 123,
};
const figures = { inputTokens: 36, outputTokens: 87, totalTokens: 123, cachedInputTokens: 6, reasoningTokens: 20, model: 'gpt-4.1' };
const created = {
  type: 'response.created',
  sequence_number: 0,
  response: { id: 'resp_1', model: 'gpt-4.1', status: 'in_progress', usage: null },
};
const delta = (text: string, n: number) => ({ type: 'response.output_text.delta', sequence_number: n, delta: text });
const terminal = (type: string, u: unknown) => ({ type, sequence_number: 9, response: { id: 'resp_1', model: 'gpt-4.1', usage: u } });

describe('OpenAI Responses usage (usage/openai-responses.ts)', () => {
  describe('plain result', () => {
    it('reads a response object: input, output, cached and reasoning details', () => {
      const result = { object: 'response', model: 'gpt-4.1', usage };
      expect(openAiResponsesUsage.claims(result)).toBe(true);
      expect(readProviderUsage(result)).toEqual({ kind: 'usage', usage: figures });
    });

    it.each(['response.completed', 'response.incomplete', 'response.failed'])('reads the response a %s event wraps', (type) => {
      expect(openAiResponsesUsage.unwrap?.(terminal(type, usage))).toMatchObject({ id: 'resp_1' });
      expect(readProviderUsage(terminal(type, usage))).toEqual({ kind: 'usage', usage: figures });
    });

    it('wraps nothing for other events, or a terminal event whose response is not an object', () => {
      expect(openAiResponsesUsage.unwrap?.(created)).toBeUndefined();
      expect(openAiResponsesUsage.unwrap?.({ type: 'response.completed', response: 'x' })).toBeUndefined();
    });

    it.each([
      ['a negative count', { ...usage, output_tokens: -1 }, 'usage.output_tokens is -1'],
      ['a string', { ...usage, input_tokens: '36' }, 'usage.input_tokens is the string "36"'],
      ['NaN in the details', { ...usage, input_tokens_details: { cached_tokens: NaN } }, 'usage.input_tokens_details.cached_tokens is NaN'],
    ])('is malformed on %s', (_name, bad, reason) => {
      expect(readProviderUsage({ object: 'response', usage: bad })).toEqual({ kind: 'malformed', reason });
    });
  });

  describe('stream', () => {
    it.each(['response.completed', 'response.incomplete', 'response.failed'])(
      'takes the usage of the terminal %s event as final',
      (type) => {
        const acc = feed([created, delta('Hi', 1), terminal(type, usage)]);
        expect(acc.usage('interrupted', 999)).toEqual(figures);
      },
    );

    it('a stream cut before its terminal event counts the deltas, estimated', () => {
      const acc = feed([created, delta('Hello', 1), delta(' there', 2)]);
      expect(acc.usage('interrupted', 30)).toEqual({
        inputTokens: 30,
        outputTokens: countTokens('Hello there', 'gpt-4.1'),
        totalTokens: 30 + countTokens('Hello there', 'gpt-4.1'),
        model: 'gpt-4.1',
        estimated: true,
      });
    });

    it('usage on a non-terminal event is ignored (created / in_progress carry none that counts)', () => {
      const acc = feed([{ type: 'response.in_progress', response: { model: 'gpt-4.1', usage } }]);
      expect(acc.usage('complete', 3)).toEqual({ inputTokens: 3, outputTokens: 0, totalTokens: 3, model: 'gpt-4.1', estimated: true });
    });

    it.each([
      ['a negative count', { ...usage, input_tokens: -36 }],
      ['a huge count', { ...usage, output_tokens: 2 ** 70 }],
      ['a string', { ...usage, total_tokens: 'all' }],
    ])('a terminal event with %s is skipped: the deltas are counted', (_name, bad) => {
      const acc = feed([created, delta('Hello', 1), terminal('response.completed', bad)]);
      expect(acc.malformed).toMatch(/^usage\./);
      expect(acc.usage('complete', 5)).toMatchObject({ inputTokens: 5, outputTokens: countTokens('Hello', 'gpt-4.1'), estimated: true });
    });

    it('a terminal event out of order (before the deltas) still gives the final figures', () => {
      expect(feed([terminal('response.completed', usage), delta('late', 3)]).usage('interrupted')).toEqual(figures);
    });

    it('error and unknown response.* events are taken as Responses events and read as nothing', () => {
      const acc = feed([
        { type: 'response.refusal.done', refusal: 'no' },
        { type: 'response.output_item.added', item: {} },
      ]);
      expect(acc.sawProviderEvents).toBe(true);
      expect(acc.usage('complete', 2)).toEqual({ inputTokens: 2, outputTokens: 0, totalTokens: 2, estimated: true });
    });
  });
});
