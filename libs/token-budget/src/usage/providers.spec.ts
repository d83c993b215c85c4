import { anthropicUsage } from './anthropic';
import { geminiUsage } from './gemini';
import { ollamaUsage } from './ollama';
import { openAiChatUsage } from './openai-chat';
import { openAiResponsesUsage } from './openai-responses';
import { readProviderUsage, USAGE_READERS } from './providers';

describe('the provider list (usage/providers.ts)', () => {
  it('asks the typed stream grammars first, then the chunk readers, in a fixed order', () => {
    expect(USAGE_READERS).toEqual([anthropicUsage, openAiResponsesUsage, openAiChatUsage, geminiUsage, ollamaUsage]);
    expect(USAGE_READERS.map((reader) => reader.provider)).toEqual(['anthropic', 'openai-responses', 'openai-chat', 'gemini', 'ollama']);
  });

  it.each([
    ['OpenAI chat', { usage: { prompt_tokens: 1, completion_tokens: 2 } }, openAiChatUsage],
    ['OpenAI Responses', { object: 'response', usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } }, openAiResponsesUsage],
    ['Anthropic', { type: 'message', usage: { input_tokens: 1, output_tokens: 2 } }, anthropicUsage],
    ['Gemini', { usageMetadata: { promptTokenCount: 1 } }, geminiUsage],
    ['Ollama', { model: 'llama3.2', done: true, eval_count: 2 }, ollamaUsage],
  ])('exactly one reader claims a plain %s result', (_name, result, reader) => {
    expect(USAGE_READERS.filter((r) => r.claims(result))).toEqual([reader]);
  });

  it('a result that several readers claim is read by the first: OpenAI usage before a Gemini usageMetadata', () => {
    const both = { usage: { prompt_tokens: 7, completion_tokens: 1 }, usageMetadata: { promptTokenCount: 99 } };
    expect(readProviderUsage(both)).toEqual({ kind: 'usage', usage: { inputTokens: 7, outputTokens: 1, totalTokens: 8 } });
  });

  it('a result nobody claims has no usage; claims never throw on hostile values', () => {
    const throwing = Object.defineProperty({}, 'usage', {
      get: () => {
        throw new Error('boom');
      },
      enumerable: true,
    });
    for (const value of [
      null,
      undefined,
      42,
      'text',
      [],
      { usage: 'x' },
      throwing,
      new Proxy(
        {},
        {
          has: () => {
            throw new Error('trap');
          },
        },
      ),
    ]) {
      expect(readProviderUsage(value)).toEqual({ kind: 'none' });
    }
  });
});
