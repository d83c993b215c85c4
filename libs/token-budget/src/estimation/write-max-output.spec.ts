import { readerOf } from './estimate-request-body';

/** Sets the output limit of `body` through the reader of its shape and returns the body. */
function capped(body: Record<string, unknown>, tokens: number): Record<string, unknown> {
  readerOf(body)!.writeMaxOutput(body, tokens);
  return body;
}

describe('writing the output limit of a body', () => {
  const messages = [{ role: 'user', content: 'Hi' }];

  it('OpenAI chat: lowers every limit field the body has', () => {
    expect(capped({ model: 'gpt-4o', messages, max_tokens: 900 }, 40)).toMatchObject({ max_tokens: 40 });
    expect(capped({ model: 'o3', messages, max_completion_tokens: 900 }, 40)).toMatchObject({ max_completion_tokens: 40 });
    const both = capped({ model: 'gpt-4o', messages, max_tokens: 900, max_completion_tokens: 800 }, 40);
    expect(both).toMatchObject({ max_tokens: 40, max_completion_tokens: 40 });
  });

  it('OpenAI chat without a limit: max_completion_tokens for OpenAI models, max_tokens for other servers', () => {
    const openai = capped({ model: 'gpt-5-mini', messages }, 40);
    expect(openai.max_completion_tokens).toBe(40);
    expect(openai).not.toHaveProperty('max_tokens');
    const other = capped({ model: 'llama3.2', messages }, 40);
    expect(other.max_tokens).toBe(40);
    expect(other).not.toHaveProperty('max_completion_tokens');
  });

  it('Responses, Anthropic, Gemini: their own field', () => {
    expect(capped({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 500 }, 40)).toMatchObject({ max_output_tokens: 40 });
    expect(capped({ model: 'claude-opus-4-1', messages, max_tokens: 500 }, 40)).toMatchObject({ max_tokens: 40 });
    expect(capped({ contents: [{ parts: [{ text: 'Hi' }] }], generationConfig: { temperature: 1 } }, 40)).toMatchObject({
      generationConfig: { temperature: 1, maxOutputTokens: 40 },
    });
    expect(capped({ contents: [{ parts: [{ text: 'Hi' }] }] }, 40)).toMatchObject({ generationConfig: { maxOutputTokens: 40 } });
    expect(capped({ contents: [], generation_config: { max_output_tokens: 900 } }, 40)).toEqual({
      contents: [],
      generation_config: { max_output_tokens: 40 },
    });
  });
});

describe('lowering an output limit', () => {
  const messages = [{ role: 'user', content: 'Hi' }];

  it('never raises a field that is already below the limit written', () => {
    expect(capped({ model: 'gpt-4o', messages, max_tokens: 5, max_completion_tokens: 5_000 }, 900)).toMatchObject({
      max_tokens: 5,
      max_completion_tokens: 900,
    });
    expect(capped({ contents: [], generationConfig: { maxOutputTokens: 10, max_output_tokens: 9_000 } }, 900)).toMatchObject({
      generationConfig: { maxOutputTokens: 10, max_output_tokens: 900 },
    });
    expect(capped({ model: 'claude-sonnet-4-5', messages, max_tokens: 64_000 }, 900)).toMatchObject({ max_tokens: 900 });
  });

  it('replaces a limit that is no count (a string of letters, a negative number)', () => {
    expect(capped({ model: 'llama3.2', messages, max_tokens: 'lots' }, 40)).toMatchObject({ max_tokens: 40 });
    expect(capped({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: -3 }, 40)).toMatchObject({ max_output_tokens: 40 });
  });

  it('Anthropic: lowers a thinking budget that would not stay below max_tokens, or turns thinking off', () => {
    const thinking = (budget: number) => ({
      model: 'claude-sonnet-4-5',
      messages,
      max_tokens: 64_000,
      thinking: { type: 'enabled', budget_tokens: budget },
    });
    expect(capped(thinking(30_000), 20_000)).toMatchObject({ max_tokens: 20_000, thinking: { type: 'enabled', budget_tokens: 19_999 } });
    expect(capped(thinking(2_000), 20_000)).toMatchObject({ max_tokens: 20_000, thinking: { type: 'enabled', budget_tokens: 2_000 } });
    expect(capped(thinking(2_000), 900)).toMatchObject({ max_tokens: 900, thinking: { type: 'disabled' } });
  });
});
