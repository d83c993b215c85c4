import { countTokens } from '../tokens/tokenizer';
import { geminiUsage, readGeminiUsage } from './gemini';
import { StreamUsageAccumulator } from './stream-usage';

const feed = (events: unknown[]) => {
  const acc = new StreamUsageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
};
const chunk = (text: string, usageMetadata?: unknown) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
  usageMetadata,
  modelVersion: 'gemini-2.5-flash',
});

describe('Gemini usage (usage/gemini.ts)', () => {
  describe('plain result', () => {
    it('input is prompt + tool-use prompt; output is candidates + thoughts', () => {
      const result = {
        modelVersion: 'gemini-2.5-flash',
        usageMetadata: {
          promptTokenCount: 11,
          cachedContentTokenCount: 4,
          candidatesTokenCount: 227,
          toolUsePromptTokenCount: 5,
          thoughtsTokenCount: 22,
          totalTokenCount: 265,
        },
      };
      expect(geminiUsage.claims(result)).toBe(true);
      expect(geminiUsage.fromResult(result)).toEqual({
        kind: 'usage',
        usage: {
          inputTokens: 16,
          outputTokens: 249,
          totalTokens: 265,
          cachedInputTokens: 4,
          reasoningTokens: 22,
          model: 'gemini-2.5-flash',
        },
      });
    });

    it('every count is optional', () => {
      expect(readGeminiUsage({ usageMetadata: {} })).toEqual({ kind: 'usage', usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
    });

    it.each([
      ['a negative count', { promptTokenCount: -11 }, 'usageMetadata.promptTokenCount is -11'],
      ['NaN', { candidatesTokenCount: NaN }, 'usageMetadata.candidatesTokenCount is NaN'],
      ['a string', { thoughtsTokenCount: '3' }, 'usageMetadata.thoughtsTokenCount is the string "3"'],
      ['a bad total', { promptTokenCount: 1, totalTokenCount: -1 }, 'usageMetadata.totalTokenCount is -1'],
      [
        'counts past 2^53',
        { candidatesTokenCount: Number.MAX_SAFE_INTEGER, thoughtsTokenCount: 2 },
        'usageMetadata output tokens add up past Number.MAX_SAFE_INTEGER',
      ],
    ])('is malformed on %s', (_name, usageMetadata, reason) => {
      expect(readGeminiUsage({ usageMetadata })).toEqual({ kind: 'malformed', reason });
    });

    it('does not claim a result without usageMetadata, or one whose usageMetadata is not an object', () => {
      expect(geminiUsage.claims({ candidates: [] })).toBe(false);
      expect(geminiUsage.claims({ usageMetadata: [1] })).toBe(false);
    });
  });

  describe('stream', () => {
    it('usageMetadata is a running total: the last one is kept, never summed', () => {
      const acc = feed([
        chunk('Hel', { promptTokenCount: 11, totalTokenCount: 11 }),
        chunk('lo', { promptTokenCount: 11, candidatesTokenCount: 2, thoughtsTokenCount: 3, totalTokenCount: 16 }),
      ]);
      expect(acc.usage('complete')).toEqual({
        inputTokens: 11,
        outputTokens: 5,
        totalTokens: 16,
        reasoningTokens: 3,
        model: 'gemini-2.5-flash',
      });
    });

    it('a cut stream is not final: output is the larger of the running total and the text streamed', () => {
      const acc = feed([chunk('The quick brown fox jumps over', { promptTokenCount: 11, candidatesTokenCount: 1, totalTokenCount: 12 })]);
      const streamed = countTokens('The quick brown fox jumps over', 'gemini-2.5-flash');
      expect(acc.usage('interrupted', 999)).toEqual({
        inputTokens: 11,
        outputTokens: Math.max(1, streamed),
        totalTokens: 11 + Math.max(1, streamed),
        model: 'gemini-2.5-flash',
        estimated: true,
      });
    });

    it.each([
      ['a negative count', { promptTokenCount: -1 }],
      ['NaN', { candidatesTokenCount: NaN }],
      ['a string', { promptTokenCount: '11' }],
      ['a huge count', { promptTokenCount: 1e20 }],
    ])('a chunk with %s is skipped; the running total before it stays', (_name, bad) => {
      const acc = feed([chunk('Hi', { promptTokenCount: 11, candidatesTokenCount: 2 }), chunk('!', bad)]);
      expect(acc.malformed).toMatch(/^usageMetadata\./);
      expect(acc.usage('complete')).toMatchObject({ inputTokens: 11, outputTokens: 2 });
    });

    it('chunks with no usageMetadata (out of order, or never sent) count their text', () => {
      const acc = feed([chunk('Hello'), chunk(' world')]);
      expect(acc.usage('complete', 3)).toMatchObject({
        inputTokens: 3,
        outputTokens: countTokens('Hello world', 'gemini-2.5-flash'),
        estimated: true,
      });
    });

    it('a running total near 2^53 saturates the estimated total instead of rounding past it', () => {
      const acc = feed([chunk('12', { promptTokenCount: Number.MAX_SAFE_INTEGER })]);
      expect(acc.usage('interrupted')).toMatchObject({
        inputTokens: Number.MAX_SAFE_INTEGER,
        outputTokens: 0,
        totalTokens: Number.MAX_SAFE_INTEGER,
        estimated: true,
      });
    });

    it('a chunk that also carries an OpenAI usage is read as OpenAI figures, but stays a running total', () => {
      const acc = feed([{ candidates: [], usage: { prompt_tokens: 7, completion_tokens: 1 }, usageMetadata: { promptTokenCount: 99 } }]);
      expect(acc.usage('complete')).toMatchObject({ inputTokens: 7, outputTokens: 1 });
      expect(acc.usage('interrupted')?.estimated).toBe(true);
    });
  });
});
