import { countTokens } from '../tokens/tokenizer';
import { StreamUsageAccumulator } from './stream-usage';

const feed = (events: unknown[]) => {
  const acc = new StreamUsageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
};

const chat = (content: string) => ({
  object: 'chat.completion.chunk',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content } }],
  usage: null,
});

describe('StreamUsageAccumulator', () => {
  it('OpenAI chat: takes the include_usage chunk (choices: []) and the chunk model', () => {
    const acc = feed([
      chat('Hel'),
      chat('lo'),
      {
        object: 'chat.completion.chunk',
        model: 'gpt-4o-mini',
        choices: [],
        usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29, prompt_tokens_details: { cached_tokens: 4 } },
      },
    ]);
    expect(acc.usage('complete')).toEqual({
      inputTokens: 19,
      outputTokens: 10,
      totalTokens: 29,
      cachedInputTokens: 4,
      model: 'gpt-4o-mini',
    });
  });

  it('OpenAI chat without usage: counts the streamed text (content and tool-call arguments), estimated', () => {
    const acc = feed([
      chat('The quick brown fox'),
      { choices: [{ delta: { tool_calls: [{ function: { arguments: '{"city":"Paris"}' } }] } }] },
    ]);
    const output = countTokens('The quick brown fox{"city":"Paris"}', 'gpt-4o-mini');
    expect(acc.usage('complete', 7)).toEqual({
      inputTokens: 7,
      outputTokens: output,
      totalTokens: 7 + output,
      model: 'gpt-4o-mini',
      estimated: true,
    });
  });

  it('Groq: x_groq.usage on the finish chunk, replaced (never added) by a later usage chunk', () => {
    const xGroq = {
      choices: [{ delta: {}, finish_reason: 'stop' }],
      x_groq: { usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42 } },
    };
    expect(feed([chat('a'), xGroq]).usage('complete')?.totalTokens).toBe(42);
    const both = feed([chat('a'), xGroq, { choices: [], usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42 } }]);
    expect(both.usage('complete')?.totalTokens).toBe(42);
  });

  it('Responses API: usage of the terminal event, deltas counted when cut short', () => {
    const created = { type: 'response.created', response: { model: 'gpt-4.1', usage: null } };
    const delta = { type: 'response.output_text.delta', delta: 'Hello there' };
    const done = {
      type: 'response.incomplete',
      response: { model: 'gpt-4.1', usage: { input_tokens: 36, output_tokens: 87, total_tokens: 123 } },
    };
    expect(feed([created, delta, done]).usage('complete')).toMatchObject({
      inputTokens: 36,
      outputTokens: 87,
      totalTokens: 123,
      model: 'gpt-4.1',
    });
    expect(feed([created, delta]).usage('interrupted', 30)).toMatchObject({
      inputTokens: 30,
      outputTokens: countTokens('Hello there', 'gpt-4.1'),
      estimated: true,
    });
  });

  it('Anthropic: message_start input and cache fields, cumulative message_delta output overwritten, never added', () => {
    const acc = feed([
      {
        type: 'message_start',
        message: {
          model: 'claude-sonnet-4-5',
          usage: { input_tokens: 25, cache_creation_input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 1 },
        },
      },
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'ping' },
      { type: 'message_delta', delta: {}, usage: { output_tokens: 10 } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } },
      { type: 'message_stop' },
    ]);
    expect(acc.usage('complete')).toEqual({
      inputTokens: 175,
      outputTokens: 15,
      totalTokens: 190,
      cachedInputTokens: 50,
      cacheWriteTokens: 100,
      model: 'claude-sonnet-4-5',
    });
  });

  it('Anthropic cut before message_delta: input from message_start, output counted from the text', () => {
    const acc = feed([
      { type: 'message_start', message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 25, output_tokens: 1 } } },
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'The quick brown fox jumps' } },
    ]);
    const output = countTokens('The quick brown fox jumps');
    expect(acc.usage('interrupted', 999)).toMatchObject({
      inputTokens: 25,
      outputTokens: output,
      totalTokens: 25 + output,
      estimated: true,
    });
  });

  it('Gemini: usageMetadata is a running total, the last one is kept', () => {
    const chunk = (text: string, usageMetadata: object) => ({
      candidates: [{ content: { parts: [{ text }] } }],
      usageMetadata,
      modelVersion: 'gemini-2.5-flash',
    });
    const acc = feed([
      chunk('Hel', { promptTokenCount: 11, totalTokenCount: 11 }),
      chunk('lo', { promptTokenCount: 11, candidatesTokenCount: 2, thoughtsTokenCount: 3, totalTokenCount: 16 }),
    ]);
    expect(acc.usage('complete')).toMatchObject({
      inputTokens: 11,
      outputTokens: 5,
      totalTokens: 16,
      reasoningTokens: 3,
      model: 'gemini-2.5-flash',
    });
  });

  it('Ollama: the done:true line', () => {
    const acc = feed([
      { model: 'llama3.2', message: { content: 'The' }, done: false },
      { model: 'llama3.2', message: { content: '' }, done: true, prompt_eval_count: 26, eval_count: 282 },
    ]);
    expect(acc.usage('complete')).toEqual({ inputTokens: 26, outputTokens: 282, totalTokens: 308, model: 'llama3.2', provider: 'ollama' });
  });

  it.each([
    ['a usage field of the wrong type', { choices: [], usage: { prompt_tokens: '12', completion_tokens: 3 } }],
    ['a negative count', { choices: [], usage: { prompt_tokens: -1, completion_tokens: 3 } }],
    ['a message_delta with a string count', { type: 'message_delta', delta: {}, usage: { output_tokens: 'many' } }],
    ['a Gemini count of the wrong type', { candidates: [], usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 'x' } }],
    ['not an object', 'garbage'],
    [
      'a throwing getter',
      Object.defineProperty({}, 'choices', {
        get: () => {
          throw new Error('boom');
        },
        enumerable: true,
      }),
    ],
  ])('skips %s without spoiling the figures before it', (_name, bad) => {
    const good = {
      object: 'chat.completion.chunk',
      model: 'gpt-4o-mini',
      choices: [],
      usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 },
    };
    const acc = feed([chat('Hi'), good, bad]);
    expect(acc.usage('complete')).toEqual({ inputTokens: 19, outputTokens: 10, totalTokens: 29, model: 'gpt-4o-mini' });
  });

  it('names the malformed field it skipped', () => {
    expect(feed([{ choices: [], usage: { prompt_tokens: '12' } }]).malformed).toBe('usage.prompt_tokens is the string "12"');
  });

  it('gives nothing for a stream with no provider events', () => {
    expect(feed([{ foo: 1 }, 'text', 42]).usage('complete')).toBeUndefined();
  });
});

describe('StreamUsageAccumulator on a very long stream', () => {
  const WORDS = [
    'The',
    ' model',
    ' streams',
    ' tokens,',
    ' one',
    ' delta',
    ' at',
    ' a',
    ' time.\n\n',
    'Then',
    ' it',
    ' goes',
    ' on',
    ' and',
    ' on.\n',
  ];
  const pieces = Array.from({ length: 60_000 }, (_, i) => WORDS[i % WORDS.length] + (i % 97 === 0 ? ' 12345' : ''));
  const all = pieces.join('');

  it('holds a bounded amount of text (not everything streamed), and still counts all of it exactly', () => {
    const acc = new StreamUsageAccumulator();
    for (const piece of pieces) acc.push(chat(piece));
    expect(all.length).toBeGreaterThan(250_000);
    expect(acc.text.length).toBeLessThanOrEqual(16_384);
    expect(all.endsWith(acc.text)).toBe(true);
    const usage = acc.usage('interrupted', 5)!;
    expect(usage.outputTokens).toBe(countTokens(all, 'gpt-4o-mini'));
    expect(usage.inputTokens).toBe(5);
  });

  it('the running count used for the cut-off still covers the text dropped from memory', () => {
    const acc = new StreamUsageAccumulator();
    let expected = 0;
    pieces.forEach((piece, i) => {
      acc.push(chat(piece));
      expected += countTokens(piece, 'gpt-4o-mini');
      // called now and then, as a metered stream does after each chunk
      if (i % 10 === 0) expect(acc.countedOutputTokens()).toBe(expected);
    });
    expect(acc.countedOutputTokens()).toBe(expected);
    expect(acc.text.length).toBeLessThanOrEqual(16_384);
  });

  it('a running count first asked for late includes the text already dropped', () => {
    const acc = new StreamUsageAccumulator();
    for (const piece of pieces) acc.push(chat(piece));
    const late = acc.countedOutputTokens();
    // per-piece counting differs from one pass only at piece joins: within 1% here
    expect(Math.abs(late - countTokens(all, 'gpt-4o-mini'))).toBeLessThan(countTokens(all, 'gpt-4o-mini') / 100);
  });
});

describe('StreamUsageAccumulator near 2^53', () => {
  it('saturates an estimated total at Number.MAX_SAFE_INTEGER instead of rounding past it (fuzz seed 1417588845)', () => {
    const accumulator = new StreamUsageAccumulator();
    accumulator.push({ choices: [{ delta: { content: '12' } }] });
    accumulator.push({ usage: { prompt_tokens: Number.MAX_SAFE_INTEGER }, usageMetadata: {} });
    const usage = accumulator.usage('interrupted', 0);
    expect(usage).toMatchObject({
      inputTokens: Number.MAX_SAFE_INTEGER,
      outputTokens: 0,
      totalTokens: Number.MAX_SAFE_INTEGER,
      estimated: true,
    });
  });
});
