import { lookUpModelPrice } from './model-price-lookup';
import { Logger } from '@nestjs/common';
import { CostCalculator, MAX_WARNED_MODELS } from './cost-calculator';
import * as catalog from './price-catalog';
import { isLocalModelName } from './local-models';
import { nanosToUsd, usdToNanos } from './money';

describe('CostCalculator', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined)));
  afterEach(() => warn.mockRestore());

  const calc = (options: Partial<ConstructorParameters<typeof CostCalculator>[0]> = {}) =>
    new CostCalculator({ costLimited: true, ...options });

  it('prices gpt-4o-mini from the catalog exactly: $0.15 / $0.60 per million, cached input at $0.075', () => {
    const costs = calc();
    // one input token is $0.00000015 = 150 nano-dollars
    expect(costs.usageCost({ inputTokens: 1, outputTokens: 0, totalTokens: 1, model: 'gpt-4o-mini' })).toBe(150);
    expect(
      costs.usageCost({ inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000, model: 'gpt-4o-mini-2024-07-18' }),
    ).toBe(usdToNanos(0.75));
    // 1,000 cached of 3,000 input: 2,000 x 0.15 + 1,000 x 0.075 + 500 x 0.60 per million
    expect(
      costs.usageCost({ inputTokens: 3_000, cachedInputTokens: 1_000, outputTokens: 500, totalTokens: 3_500, model: 'gpt-4o-mini' }),
    ).toBe(300_000 + 75_000 + 300_000);
    expect(warn).not.toHaveBeenCalled();
  });

  it('prices an embedding model, which the catalog gives an input price only, at its input price ($0.02 per million)', () => {
    const costs = calc();
    expect(costs.usageCost({ inputTokens: 1_000_000, outputTokens: 0, totalTokens: 1_000_000, model: 'text-embedding-3-small' })).toBe(
      usdToNanos(0.02),
    );
    expect(lookUpModelPrice('text-embedding-3-small')).toMatchObject({ source: 'catalog', sheet: { output: 0 } });
    expect(warn).not.toHaveBeenCalled();
  });

  it('prices Anthropic cache writes and reads, reasoning as output, and tiers by input size', () => {
    const costs = calc();
    // claude-sonnet-4-5: input $3, cache write $3.75, cache read $0.30, output $15 per million
    const usage = {
      inputTokens: 10_000,
      cacheWriteTokens: 4_000,
      cachedInputTokens: 5_000,
      outputTokens: 2_000,
      reasoningTokens: 1_500,
      totalTokens: 12_000,
      model: 'claude-sonnet-4-5-20250929',
    };
    expect(costs.usageCost(usage)).toBe(1_000 * 3_000 + 4_000 * 3_750 + 5_000 * 300 + 2_000 * 15_000);
    // gemini-2.5-pro: past 200k input tokens the whole call is billed at $2.50 / $15
    expect(costs.usageCost({ inputTokens: 200_001, outputTokens: 1_000, totalTokens: 201_001, model: 'gemini-2.5-pro' })).toBe(
      200_001 * 2_500 + 1_000 * 15_000,
    );
    expect(costs.usageCost({ inputTokens: 200_000, outputTokens: 1_000, totalTokens: 201_000, model: 'gemini-2.5-pro' })).toBe(
      200_000 * 1_250 + 1_000 * 10_000,
    );
    // Groq models are found without naming the provider
    expect(
      costs.usageCost({ inputTokens: 1_000_000, outputTokens: 0, totalTokens: 1_000_000, model: 'llama-3.3-70b-versatile' }),
    ).toBeGreaterThan(0);
  });

  it('lets pricing overrides win over the catalog, case-insensitively', () => {
    const costs = calc({ pricing: { 'GPT-4o-mini': { input: 1, output: 2 }, 'my-model': { input: 0.5, output: 1.5, cachedInput: 0.05 } } });
    expect(costs.usageCost({ inputTokens: 1_000, outputTokens: 1_000, totalTokens: 2_000, model: 'gpt-4o-mini' })).toBe(
      1_000 * 1_000 + 1_000 * 2_000,
    );
    expect(costs.usageCost({ inputTokens: 1_000, cachedInputTokens: 1_000, outputTokens: 0, totalTokens: 1_000, model: 'my-model' })).toBe(
      1_000 * 50,
    );
  });

  it('rounds a call up to a whole nano-dollar once, never down', () => {
    const third = calc({ pricing: { third: { input: 0.000333, output: 0 } } });
    // 333 pico-dollars for 1 token: charged 1 nano-dollar; for 3,000 tokens, 999,000 pico = 999 nano exactly
    expect(third.usageCost({ inputTokens: 1, outputTokens: 0, totalTokens: 1, model: 'third' })).toBe(1);
    expect(third.usageCost({ inputTokens: 3_000, outputTokens: 0, totalTokens: 3_000, model: 'third' })).toBe(999);
  });

  it('costs 0 for native Ollama results, local name:tag models and unknown models, warning once per model', () => {
    const costs = calc();
    const ollama = { inputTokens: 26, outputTokens: 298, totalTokens: 324, model: 'deepseek-r1', provider: 'ollama' };
    expect(costs.usageCost(ollama)).toBe(0);
    expect(costs.usageCost(ollama)).toBe(0);
    // deepseek-r1:14b would match DeepSeek's hosted model in the catalog; the tag says it is local
    expect(costs.usageCost({ inputTokens: 10, outputTokens: 10, totalTokens: 20, model: 'deepseek-r1:14b' })).toBe(0);
    expect(costs.usageCost({ inputTokens: 10, outputTokens: 10, totalTokens: 20, model: 'acme-llm-7' })).toBe(0);
    expect(costs.usageCost({ inputTokens: 10, outputTokens: 10, totalTokens: 20, model: 'acme-llm-7' })).toBe(0);
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining("'deepseek-r1' is a local Ollama model"),
      expect.stringContaining("'deepseek-r1:14b' is a local model"),
      expect.stringContaining("No price for model 'acme-llm-7'"),
    ]);
  });

  it('prices a model-less usage with defaultModel, else at 0 with one warning', () => {
    expect(calc({ defaultModel: 'gpt-4o-mini' }).usageCost({ inputTokens: 1_000, outputTokens: 0, totalTokens: 1_000 })).toBe(150_000);
    const costs = calc();
    expect(costs.usageCost({ inputTokens: 1_000, outputTokens: 0, totalTokens: 1_000 })).toBe(0);
    expect(costs.usageCost({ inputTokens: 1_000, outputTokens: 0, totalTokens: 1_000 })).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/set defaultModel/);
  });

  it('prices a bare token total at the dearer price, and a split estimate at input and output prices', () => {
    const costs = calc({ defaultModel: 'gpt-4o-mini' });
    expect(costs.usageCost({ inputTokens: 0, outputTokens: 0, totalTokens: 1_000 })).toBe(600_000);
    expect(costs.estimateCost(1_000)).toBe(600_000);
    expect(costs.estimateCost({ inputTokens: 1_000, outputTokens: 1_000 })).toBe(150_000 + 600_000);
    expect(costs.estimateCost({ inputTokens: 1_000, outputTokens: 0, model: 'gpt-4o' })).toBe(2_500_000);
    expect(calc().estimateCost(1_000)).toBe(0);
  });

  it('converts between USD and nano-dollars without float drift', () => {
    expect(usdToNanos(0.000123)).toBe(123_000);
    expect(nanosToUsd(123_000 * 10_000)).toBe(1.23);
    expect(isLocalModelName('llama3.2:latest')).toBe(true);
    expect(isLocalModelName('anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe(false);
    expect(isLocalModelName('ft:gpt-4o-mini:acme::abc123')).toBe(false);
    expect(isLocalModelName('gpt-4o')).toBe(false);
  });

  it('bounds the warnings and memory that model names from untrusted bodies can cause', () => {
    const costs = calc();
    const lookUps = jest.spyOn(catalog, 'catalogPriceSheet');
    try {
      for (let i = 0; i < 2_000; i++) expect(costs.estimateCost({ inputTokens: 10, outputTokens: 10, model: `made-up-${i}` })).toBe(0);
      // one warning per model for the first ones, one saying the rest are not logged, then silence
      expect(warn).toHaveBeenCalledTimes(MAX_WARNED_MODELS + 1);
      expect(warn.mock.calls[MAX_WARNED_MODELS][0]).toMatch(/further ones are priced at 0 without a warning/);
      // a name longer than any model's is priced at 0 without a catalog look-up
      lookUps.mockClear();
      expect(costs.estimateCost({ inputTokens: 10, outputTokens: 10, model: 'x'.repeat(100_000) })).toBe(0);
      expect(lookUps).not.toHaveBeenCalled();
    } finally {
      lookUps.mockRestore();
    }
  });

  it('warns about an over-long model name once, quoting only its start', () => {
    const costs = calc();
    costs.usageCost({ inputTokens: 1, outputTokens: 1, totalTokens: 2, model: 'y'.repeat(50_000) });
    costs.usageCost({ inputTokens: 1, outputTokens: 1, totalTokens: 2, model: 'z'.repeat(50_000) });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0]).length).toBeLessThan(300);
  });
});
