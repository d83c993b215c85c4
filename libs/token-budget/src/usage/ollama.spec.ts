import { countTokens } from '../tokens/tokenizer';
import { ollamaUsage, readOllamaUsage } from './ollama';
import { readProviderUsage } from './providers';
import { StreamUsageAccumulator } from './stream-usage';

const feed = (events: unknown[]) => {
  const acc = new StreamUsageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
};
const line = (content: string) => ({
  model: 'llama3.2',
  created_at: '2023-08-04T08:52:19Z',
  message: { role: 'assistant', content },
  done: false,
});
const last = (counts: object) => ({
  model: 'llama3.2',
  message: { role: 'assistant', content: '' },
  done: true,
  done_reason: 'stop',
  total_duration: 4883583458,
  ...counts,
});

describe('Ollama usage (usage/ollama.ts)', () => {
  describe('plain result', () => {
    it('reads prompt_eval_count and eval_count of /api/chat, marked provider ollama', () => {
      const result = last({ prompt_eval_count: 26, eval_count: 298 });
      expect(ollamaUsage.claims(result)).toBe(true);
      expect(readProviderUsage(result)).toEqual({
        kind: 'usage',
        usage: { inputTokens: 26, outputTokens: 298, totalTokens: 324, model: 'llama3.2', provider: 'ollama' },
      });
    });

    it('a count Ollama omits (zero, or a fully cached prompt) is 0; /api/generate reads the same', () => {
      expect(readOllamaUsage({ model: 'llama3.2', response: 'Hi', done: true, done_reason: 'stop', eval_count: 5 })).toMatchObject({
        usage: { inputTokens: 0, outputTokens: 5, totalTokens: 5 },
      });
    });

    it('the /v1 API is OpenAI-shaped and read by the OpenAI reader (no provider mark)', () => {
      expect(readProviderUsage({ model: 'llama3.2', usage: { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 } })).toEqual({
        kind: 'usage',
        usage: { inputTokens: 26, outputTokens: 298, totalTokens: 324, model: 'llama3.2' },
      });
    });

    it.each([
      ['a negative count', { prompt_eval_count: -26 }, 'prompt_eval_count is -26'],
      ['NaN', { eval_count: NaN }, 'eval_count is NaN'],
      ['a string', { eval_count: '298' }, 'eval_count is the string "298"'],
      [
        'counts past 2^53',
        { prompt_eval_count: Number.MAX_SAFE_INTEGER, eval_count: 1 },
        'prompt_eval_count and eval_count add up past Number.MAX_SAFE_INTEGER',
      ],
    ])('is malformed on %s', (_name, counts, reason) => {
      expect(readOllamaUsage(last(counts))).toEqual({ kind: 'malformed', reason });
    });

    it('a line that is not the final one carries no usage', () => {
      expect(readOllamaUsage(line('The'))).toEqual({ kind: 'none' });
      expect(readOllamaUsage({ done: true })).toEqual({ kind: 'none' });
    });
  });

  describe('stream', () => {
    it('the counts of the final done: true line', () => {
      const acc = feed([line('The'), line(' sky'), last({ prompt_eval_count: 26, eval_count: 282 })]);
      expect(acc.usage('interrupted', 999)).toEqual({
        inputTokens: 26,
        outputTokens: 282,
        totalTokens: 308,
        model: 'llama3.2',
        provider: 'ollama',
      });
    });

    it('a stream cut before the final line counts message.content (chat) and response (generate), estimated', () => {
      const acc = feed([line('The'), { model: 'llama3.2', response: ' sky is', done: false }]);
      expect(acc.usage('interrupted', 10)).toEqual({
        inputTokens: 10,
        outputTokens: countTokens('The sky is', 'llama3.2'),
        totalTokens: 10 + countTokens('The sky is', 'llama3.2'),
        model: 'llama3.2',
        estimated: true,
      });
    });

    it.each([
      ['a negative count', { prompt_eval_count: -1, eval_count: 3 }],
      ['NaN', { prompt_eval_count: 1, eval_count: NaN }],
      ['a string', { prompt_eval_count: '26' }],
      ['a huge count', { eval_count: 1e300 }],
    ])('a final line with %s is skipped: the streamed text is counted', (_name, counts) => {
      const acc = feed([line('Hello'), last(counts)]);
      expect(acc.malformed).toMatch(/count/);
      expect(acc.usage('complete', 2)).toMatchObject({ inputTokens: 2, outputTokens: countTokens('Hello', 'llama3.2'), estimated: true });
    });

    it('out of order: text after the final line does not change its figures', () => {
      expect(feed([last({ prompt_eval_count: 1, eval_count: 2 }), line('late')]).usage('complete')).toMatchObject({
        inputTokens: 1,
        outputTokens: 2,
        totalTokens: 3,
      });
    });

    it('done of the wrong type is not an Ollama line', () => {
      const acc = feed([{ model: 'llama3.2', message: { content: 'x' }, done: 'yes' }]);
      expect(acc.sawProviderEvents).toBe(false);
      expect(acc.usage('complete')).toBeUndefined();
    });
  });
});
