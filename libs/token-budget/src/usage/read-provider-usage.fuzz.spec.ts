import fc from 'fast-check';
import { fuzzParams } from '../../../../test/fixtures/fuzz';
import { expectSaneUsage, hostileResultArb, providerCaseArb } from '../../../../test/fixtures/provider-shapes';
import { readAnthropicUsage } from './anthropic';
import { readProviderUsage } from './providers';
import { readGeminiUsage } from './gemini';
import { readOllamaUsage } from './ollama';
import { readOpenAiUsage } from './openai-chat';
import { UsageReading } from './usage-reading';

const RUNS = 1_000;
const READERS = [readProviderUsage, readOpenAiUsage, readAnthropicUsage, readGeminiUsage, readOllamaUsage];

function expectSaneReading(reading: UsageReading): void {
  expect(['usage', 'none', 'malformed']).toContain(reading.kind);
  if (reading.kind === 'usage') expectSaneUsage(reading.usage);
  if (reading.kind === 'malformed') expect(typeof reading.reason).toBe('string');
}

describe('usage readers on arbitrary input (property)', () => {
  it('never throw on any JSON value, and read only sane usage from it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const read of READERS) expectSaneReading(read(value));
      }),
      fuzzParams(RUNS),
    );
  });

  it('never throw on provider-shaped results with wrong types, negatives, NaN, huge numbers and nulls', () => {
    fc.assert(
      fc.property(hostileResultArb, (result) => {
        for (const read of READERS) expectSaneReading(read(result));
      }),
      fuzzParams(RUNS),
    );
  });

  it('read exactly the expected figures from well-formed results of every provider', () => {
    fc.assert(
      fc.property(providerCaseArb, ({ result, expected }) => {
        expect(readProviderUsage(result)).toStrictEqual({ kind: 'usage', usage: expected });
      }),
      fuzzParams(RUNS),
    );
  });

  it('charge at least the provider total and never less than input + output', () => {
    // an upstream whose total_tokens disagrees with its parts is charged the larger of the two
    const arb = fc.record({ prompt: fc.nat(1e6), completion: fc.nat(1e6), total: fc.nat(3e6), key: fc.constantFrom('usage', 'x_groq') });
    fc.assert(
      fc.property(arb, ({ prompt, completion, total, key }) => {
        const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
        const result = key === 'usage' ? { usage } : { x_groq: { usage } };
        expect(readProviderUsage(result)).toStrictEqual({
          kind: 'usage',
          usage: { inputTokens: prompt, outputTokens: completion, totalTokens: Math.max(total, prompt + completion) },
        });
      }),
      fuzzParams(RUNS),
    );
  });
});
