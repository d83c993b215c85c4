import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { get, PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway } from './fixtures/gateway-app';

describe.each(PLATFORMS)('example gateway streaming on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startGateway(platform, { MONTHLY_TOKENS_PER_USER: '1000' });
  });
  afterAll(() => t?.close());

  it('streams chat completions to the openai SDK and charges the usage chunk', async () => {
    const client = new OpenAI({ apiKey: 'sk-demo-alice', baseURL: `${t.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello in twelve words.' }],
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage ??= chunk.usage;
    }
    expect(text).toBe('This is the mock upstream.');
    // the mock bills the prompt as the library counts it and the whole max_tokens
    expect(usage).toMatchObject({ completion_tokens: 100 });
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + 100);
    const budget = await get(`${t.url}/v1/budget`, { authorization: 'Bearer sk-demo-alice' });
    expect(budget.body[0]).toMatchObject({ id: 'alice', used: usage!.total_tokens, reserved: 0 });
  });

  it('streams Anthropic messages to the Anthropic SDK and charges message_start input plus message_delta output', async () => {
    const client = new Anthropic({ apiKey: 'sk-demo-bob', baseURL: t.url, maxRetries: 0 });
    const message = await client.messages
      .stream({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'This is the mock upstream.' });
    expect(message.usage).toMatchObject({ output_tokens: 20 });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    const budget = await get(`${t.url}/v1/budget`, { 'x-api-key': 'sk-demo-bob' });
    expect(budget.body[0]).toMatchObject({ id: 'bob', used: message.usage.input_tokens + 20, reserved: 0 });
  });
});
