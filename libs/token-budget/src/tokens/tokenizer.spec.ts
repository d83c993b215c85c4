import { countTokens, isOpenAiModel } from './tokenizer';

describe('countTokens', () => {
  it('counts with the model encoding', () => {
    // 14 tokens in cl100k_base, 7 in o200k_base
    const text = '你好世界，今天天气很好';
    expect(countTokens(text, 'gpt-4')).toBe(14);
    expect(countTokens(text, 'gpt-3.5-turbo')).toBe(14);
    expect(countTokens(text, 'gpt-4o')).toBe(7);
    expect(countTokens(text, 'gpt-4.1-mini')).toBe(7);
    expect(countTokens(text, 'claude-sonnet-4-5')).toBe(7);
    expect(countTokens(text)).toBe(7);
  });

  it('counts nothing in an empty text', () => {
    expect(countTokens('')).toBe(0);
  });

  it('knows which models are OpenAI models', () => {
    expect(isOpenAiModel('gpt-4o-mini')).toBe(true);
    expect(isOpenAiModel('o3-mini')).toBe(true);
    expect(isOpenAiModel('claude-3-5-haiku')).toBe(false);
    expect(isOpenAiModel(undefined)).toBe(false);
  });
});
