import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { eventually, PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway, testKeys, userBudget } from './fixtures/gateway-app';

const USERS = ['chat', 'chat-stream', 'responses', 'responses-stream', 'embeddings', 'messages', 'messages-stream', 'unknown', 'house'];
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello in twelve words.' }];
const REPLY = 'This is the mock upstream.';

async function settled(url: string, key: string) {
  await eventually(async () => (await userBudget(url, key)).reserved === 0, 5_000);
  return userBudget(url, key);
}

describe.each(PLATFORMS)('gateway with the built-in mock upstream (zero configuration) on %s', (platform) => {
  let t: TestApp;
  const openai = (user: string) => new OpenAI({ apiKey: `sk-${user}`, baseURL: `${t.url}/v1`, maxRetries: 0 });
  const anthropic = (user: string) => new Anthropic({ apiKey: `sk-${user}`, baseURL: t.url, maxRetries: 0 });

  beforeAll(async () => {
    t = await startGateway(platform, {}, { keys: testKeys(...USERS) });
  });
  afterAll(() => t?.close());

  it('chat completion: the mock bills the prompt and max_tokens, and that is charged', async () => {
    const completion = await openai('chat').chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 40 });
    expect(completion.choices[0].message.content).toBe(REPLY);
    expect(completion.usage!.completion_tokens).toBe(40);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(await settled(t.url, 'sk-chat')).toMatchObject({ used: completion.usage!.total_tokens });
  });

  it('chat stream without stream_options: the usage chunk arrives and is charged', async () => {
    const stream = await openai('chat-stream').chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 40, stream: true });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage ??= chunk.usage;
    }
    expect(text).toBe(REPLY);
    expect(usage!.completion_tokens).toBe(40);
    expect(await settled(t.url, 'sk-chat-stream')).toMatchObject({ used: usage!.total_tokens });
  });

  it('responses: non-streamed, and streamed through the SDK stream helper', async () => {
    const response = await openai('responses').responses.create({ model: 'gpt-4o-mini', input: 'Say hello', max_output_tokens: 30 });
    expect(response.output_text).toBe(REPLY);
    expect(response.usage!.output_tokens).toBe(30);
    expect(await settled(t.url, 'sk-responses')).toMatchObject({ used: response.usage!.total_tokens });

    const final = await openai('responses-stream')
      .responses.stream({ model: 'gpt-4o-mini', input: 'Say hello', max_output_tokens: 30 })
      .finalResponse();
    expect(final.output_text).toBe(REPLY);
    expect(final.usage!.output_tokens).toBe(30);
    expect(await settled(t.url, 'sk-responses-stream')).toMatchObject({ used: final.usage!.total_tokens });
  });

  it('embeddings: base64 vectors the SDK decodes, prompt tokens charged', async () => {
    const result = await openai('embeddings').embeddings.create({
      model: 'text-embedding-3-small',
      input: ['first text', 'second text'],
      dimensions: 8,
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0].embedding).toHaveLength(8);
    const norm = Math.sqrt(result.data[1].embedding.reduce((sum, v) => sum + v * v, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    expect(await settled(t.url, 'sk-embeddings')).toMatchObject({ used: result.usage.total_tokens });
  });

  it('anthropic messages, plain and streamed', async () => {
    const message = await anthropic('messages').messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 25,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: REPLY });
    expect(message.usage.output_tokens).toBe(25);
    expect(await settled(t.url, 'sk-messages')).toMatchObject({ used: message.usage.input_tokens + 25 });

    const streamed = await anthropic('messages-stream')
      .messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 25, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'text', text: REPLY });
    expect(await settled(t.url, 'sk-messages-stream')).toMatchObject({ used: streamed.usage.input_tokens + 25 });
  });

  it('an unknown model: 404 model_not_found on both APIs, nothing counted', async () => {
    const error = (await openai('unknown')
      .chat.completions.create({ model: 'gpt-nonexistent-9', messages })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.code).toBe('model_not_found');
    expect(error.param).toBe('model');
    const aError = (await anthropic('unknown')
      .messages.create({ model: 'claude-nonexistent', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(aError).toBeInstanceOf(Anthropic.NotFoundError);
    expect(aError.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(await settled(t.url, 'sk-unknown')).toMatchObject({ used: 0, reserved: 0 });
  });
});

describe('the mock serves the models of the pricing option', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startGateway(
      'express',
      {},
      {
        keys: testKeys('house'),
        budget: {
          budgets: [{ scope: 'user', period: 'month', tokens: 10_000 }],
          pricing: { 'house-model-7b': { input: 0.1, output: 0.2 } },
        },
      },
    );
  });
  afterAll(() => t?.close());

  it('a model named in pricing is served, one that is not is refused', async () => {
    const openai = new OpenAI({ apiKey: 'sk-house', baseURL: `${t.url}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: 'house-model-7b', messages, max_tokens: 10 });
    expect(completion.usage!.completion_tokens).toBe(10);
    await expect(openai.chat.completions.create({ model: 'house-model-8b', messages, max_tokens: 10 })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    expect(await settled(t.url, 'sk-house')).toMatchObject({ used: completion.usage!.total_tokens, limit: 10_000 });
  });
});
