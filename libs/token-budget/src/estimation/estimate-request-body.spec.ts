import { ANTHROPIC_TOOLS_PROMPT_TOKENS } from './anthropic-messages';
import { DEFAULT_MAX_OUTPUT_TOKENS, estimateRequestBody } from './estimate-request-body';
import { IMAGE_TOKENS, MEDIA_TOKENS } from './prompt-counter';

type Encoding = { encode(text: string): number[] };
const o200k = (text: string) => (require('gpt-tokenizer/encoding/o200k_base') as Encoding).encode(text);
const cl100k = (text: string) => (require('gpt-tokenizer/encoding/cl100k_base') as Encoding).encode(text);

/** Tokens of `texts` in o200k_base, counted here with the encoder itself. */
const o = (...texts: string[]) => texts.reduce((sum, text) => sum + o200k(text).length, 0);
/** Non-OpenAI models: o200k_base count raised by 20%, rounded up. */
const heuristic = (...texts: string[]) => Math.ceil(o(...texts) * 1.2);

describe('estimateRequestBody: OpenAI chat completions', () => {
  // The example of OpenAI's "How to count tokens with tiktoken" guide, for which the API reported
  // 129 prompt tokens on gpt-3.5-turbo / gpt-4 and 124 on gpt-4o / gpt-4o-mini.
  const messages = [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    {
      role: 'system',
      name: 'example_user',
      content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ];

  it.each([
    ['gpt-4', 129],
    ['gpt-3.5-turbo', 129],
    ['gpt-4o', 124],
    ['gpt-4o-mini', 124],
  ])('counts the prompt tokens the API reports for %s (%i)', (model, expected) => {
    expect(estimateRequestBody({ model, messages, max_tokens: 1 })).toEqual({
      shape: 'openai-chat',
      model,
      inputTokens: expected,
      outputTokens: 1,
      requestedOutputTokens: 1,
      choices: 1,
    });
  });

  it('reads the larger of max_completion_tokens and max_tokens, else the default output', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] };
    expect(estimateRequestBody({ ...body, max_tokens: 50, max_completion_tokens: 70 })?.outputTokens).toBe(70);
    expect(estimateRequestBody({ ...body, max_tokens: 90, max_completion_tokens: 70 })?.outputTokens).toBe(90);
    expect(estimateRequestBody(body)).toMatchObject({ outputTokens: DEFAULT_MAX_OUTPUT_TOKENS, requestedOutputTokens: undefined });
    expect(estimateRequestBody(body, { defaultMaxOutputTokens: 300 })?.outputTokens).toBe(300);
    // a numeric string is read as its number (servers with lax validation accept it); anything else is not a count
    expect(estimateRequestBody({ ...body, max_tokens: '50' }, { defaultMaxOutputTokens: 9 })?.outputTokens).toBe(50);
    expect(estimateRequestBody({ ...body, max_tokens: 'many' }, { defaultMaxOutputTokens: 9 })?.outputTokens).toBe(9);
    expect(estimateRequestBody({ ...body, max_tokens: -5 }, { defaultMaxOutputTokens: 9 })?.outputTokens).toBe(9);
  });

  it('counts text parts, a flat allowance per image or audio part, tool calls and tool definitions', () => {
    const tool = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    };
    const body = {
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            { type: 'text', text: 'And what is the weather in Paris?' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18 degrees, sunny' },
      ],
      tools: [tool],
      max_tokens: 100,
    };
    const expected =
      3 + // reply priming
      3 +
      o('user', 'What is in this picture?', 'And what is the weather in Paris?') +
      IMAGE_TOKENS +
      MEDIA_TOKENS +
      3 +
      o('assistant', 'get_weather', '{"city":"Paris"}') +
      3 +
      o('tool', 'call_1', '18 degrees, sunny') +
      o(JSON.stringify(tool));
    expect(estimateRequestBody(body)).toMatchObject({ inputTokens: expected, outputTokens: 100 });
  });

  it('counts GPT-4 with cl100k_base', () => {
    const text = '你好世界，今天天气很好';
    expect(estimateRequestBody({ model: 'gpt-4', messages: [{ role: 'user', content: text }] })?.inputTokens).toBe(
      6 + cl100k('user').length + cl100k(text).length,
    );
  });

  it('counts models of OpenAI-compatible servers (Llama, Mixtral, ...) with the heuristic', () => {
    const text = 'Summarise the meeting notes below in three bullet points.';
    expect(estimateRequestBody({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: text }] })?.inputTokens).toBe(
      6 + heuristic('user', text),
    );
  });
});

describe('estimateRequestBody: other OpenAI endpoints', () => {
  it('reads a Responses request: instructions, input string, max_output_tokens', () => {
    const body = { model: 'gpt-4.1', instructions: 'Answer in French.', input: 'How are you?', max_output_tokens: 64 };
    expect(estimateRequestBody(body)).toEqual({
      shape: 'openai-responses',
      model: 'gpt-4.1',
      inputTokens: 3 + 3 + o('system', 'Answer in French.') + 3 + o('user', 'How are you?'),
      outputTokens: 64,
      requestedOutputTokens: 64,
      choices: 1,
    });
  });

  it('reads Responses input items: messages with input_text / input_image parts, function calls and outputs', () => {
    const body = {
      model: 'gpt-5',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Describe this.' },
            { type: 'input_image', image_url: 'https://example.com/a.png' },
          ],
        },
        { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'found it' },
      ],
    };
    const expected = 3 + 3 + o('user', 'Describe this.') + IMAGE_TOKENS + 3 + o('lookup', '{"q":"x"}') + 3 + o('found it');
    expect(estimateRequestBody(body, { defaultMaxOutputTokens: 10 })).toMatchObject({
      shape: 'openai-responses',
      inputTokens: expected,
      outputTokens: 10,
    });
  });

  it('reads an Embeddings request: strings, string arrays, token arrays; no output', () => {
    const model = 'text-embedding-3-small'; // cl100k_base
    expect(estimateRequestBody({ model, input: 'The food was delicious.' })).toEqual({
      shape: 'openai-embeddings',
      model,
      inputTokens: cl100k('The food was delicious.').length,
      outputTokens: 0,
      requestedOutputTokens: 0,
      choices: 1,
    });
    expect(estimateRequestBody({ model, input: ['one', 'two three'] })?.inputTokens).toBe(
      cl100k('one').length + cl100k('two three').length,
    );
    expect(estimateRequestBody({ model, input: [1, 2, 3, 4] })?.inputTokens).toBe(4);
    expect(estimateRequestBody({ model, input: [[1, 2], [3]] })?.inputTokens).toBe(3);
    expect(estimateRequestBody({ input: 'no model named', dimensions: 256 })?.shape).toBe('openai-embeddings');
  });
});

describe('estimateRequestBody: Anthropic messages', () => {
  it('reads system, content blocks and tools, with the heuristic and the tool-use prompt', () => {
    const tool = {
      name: 'get_stock',
      description: 'Price of a stock',
      input_schema: { type: 'object', properties: { ticker: { type: 'string' } } },
    };
    const body = {
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        { role: 'user', content: 'Price of ACME?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'get_stock', input: { ticker: 'ACME' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: '42.10 USD' }] },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
      ],
      tools: [tool],
      max_tokens: 256,
    };
    const text = heuristic(
      'You are terse.',
      'user',
      'Price of ACME?',
      'assistant',
      'get_stock',
      '{"ticker":"ACME"}',
      'user',
      '42.10 USD',
      JSON.stringify(tool),
    );
    expect(estimateRequestBody(body)).toEqual({
      shape: 'anthropic-messages',
      model: 'claude-sonnet-4-5',
      inputTokens: 3 + 3 * 3 + IMAGE_TOKENS + ANTHROPIC_TOOLS_PROMPT_TOKENS + text,
      outputTokens: 256,
      requestedOutputTokens: 256,
      choices: 1,
    });
  });

  it('tells Anthropic bodies from OpenAI ones by model, system or tool schema', () => {
    const messages = [{ role: 'user', content: 'Hi' }];
    expect(estimateRequestBody({ model: 'claude-3-5-haiku-latest', messages })?.shape).toBe('anthropic-messages');
    expect(estimateRequestBody({ model: 'my-proxy-model', system: 'Be brief.', messages })?.shape).toBe('anthropic-messages');
    expect(estimateRequestBody({ model: 'my-proxy-model', messages })?.shape).toBe('openai-chat');
  });
});

describe('estimateRequestBody: Gemini', () => {
  it('reads systemInstruction, contents parts, inline media and generationConfig.maxOutputTokens', () => {
    const body = {
      systemInstruction: { parts: [{ text: 'You are a cat.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Hello there' },
            { inlineData: { mimeType: 'image/jpeg', data: 'AAAA' } },
            { fileData: { mimeType: 'application/pdf', fileUri: 'gs://x' } },
          ],
        },
        { role: 'model', parts: [{ text: 'Meow.' }] },
      ],
      generationConfig: { maxOutputTokens: 200, temperature: 0.2 },
    };
    expect(estimateRequestBody(body)).toEqual({
      shape: 'gemini',
      inputTokens: 3 + 3 * 2 + IMAGE_TOKENS + MEDIA_TOKENS + heuristic('You are a cat.', 'user', 'Hello there', 'model', 'Meow.'),
      outputTokens: 200,
      requestedOutputTokens: 200,
      choices: 1,
    });
  });

  it('reads the snake_case names the REST API accepts too', () => {
    const body = {
      system_instruction: { parts: [{ text: 'You are a cat.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hello there' }, { inline_data: { mime_type: 'audio/wav', data: 'AAAA' } }] }],
      tools: [{ function_declarations: [{ name: 'purr', description: 'Purrs' }] }],
      generation_config: { max_output_tokens: 30 },
    };
    expect(estimateRequestBody(body)).toMatchObject({
      inputTokens:
        3 + 3 + MEDIA_TOKENS + heuristic('You are a cat.', 'user', 'Hello there', JSON.stringify({ name: 'purr', description: 'Purrs' })),
      outputTokens: 30,
    });
  });
});

describe('estimateRequestBody: bodies it cannot read', () => {
  it.each([
    ['a string', 'hello'],
    ['a Buffer', Buffer.from('{"messages":[]}')],
    ['null', null],
    ['an array', [{ role: 'user', content: 'x' }]],
    ['messages that are not an array', { messages: 'hi' }],
    ['an unknown JSON shape', { estimate: 5, result: {} }],
  ])('returns undefined for %s', (_name, body) => {
    expect(estimateRequestBody(body)).toBeUndefined();
  });

  it('counts what it can in bodies of the wrong types, and never throws', () => {
    const body = {
      model: 42,
      messages: [
        null,
        7,
        'text',
        { role: 5, content: 12, name: {}, tool_calls: 'x' },
        { role: 'user', content: [null, 3, { type: 'text', text: 9 }, { type: 'text', text: 'ok' }] },
      ],
      tools: 'none',
      max_tokens: 1e300,
    };
    expect(estimateRequestBody(body, { defaultMaxOutputTokens: 5 })).toEqual({
      shape: 'openai-chat',
      inputTokens: 3 + 3 + 3 + heuristic('user', 'ok'),
      outputTokens: 5,
      requestedOutputTokens: undefined,
      choices: 1,
    });
  });

  it('survives deeply nested content and definitions too deep to serialise', () => {
    let nested: unknown = { type: 'text', text: 'deep' };
    for (let i = 0; i < 50_000; i++) nested = { type: 'tool_result', content: [nested] };
    let schema: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) schema = { a: schema };
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: [nested] }], tools: [schema], max_tokens: 1 };
    expect(estimateRequestBody(body)?.inputTokens).toBe(3 + 3 + o('user'));
  });
});

describe('estimateRequestBody: long prompts', () => {
  const prose = 'The committee reviewed the quarterly figures and agreed to postpone the decision until March. ';

  it('counts exactly up to 8,192 tokens (here about 31,000 characters, counted in chunks)', () => {
    const text = prose.repeat(300).slice(0, 31_000);
    expect(estimateRequestBody({ model: 'gpt-4o', messages: [{ role: 'user', content: text }], max_tokens: 0 })?.inputTokens).toBe(
      6 + o('user', text),
    );
  });

  it('extrapolates beyond, within 2% of the exact count', () => {
    const text = prose.repeat(2_200); // ~200,000 characters
    const exact = 6 + o('user', text);
    const estimated = estimateRequestBody({ model: 'gpt-4o', messages: [{ role: 'user', content: text }], max_tokens: 0 })!.inputTokens;
    expect(Math.abs(estimated - exact) / exact).toBeLessThan(0.02);
  });

  it('samples the text beyond the exact part, so denser text later in a prompt is not undercounted', () => {
    // base64-like text has about 3 times the token density of prose
    let seed = 7; // Park-Miller generator: exact in doubles, so the text is the same on every run
    const dense = Array.from(
      { length: 150_000 },
      () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[(seed = (seed * 48_271) % 2_147_483_647) % 64],
    ).join('');
    expect(o(dense) / dense.length).toBeGreaterThan(0.5);
    const text = prose.repeat(400).slice(0, 40_000) + dense;
    const exact = 6 + o('user', text);
    const estimated = estimateRequestBody({ model: 'gpt-4o', messages: [{ role: 'user', content: text }], max_tokens: 0 })!.inputTokens;
    expect(Math.abs(estimated - exact) / exact).toBeLessThan(0.05);
  });
});
