import Anthropic from '@anthropic-ai/sdk';
import { estimateRequestBody } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { get, PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway, userBudget } from './fixtures/gateway-app';

const REPLY = 'This is the mock upstream.';

describe.each(PLATFORMS)('offline on the built-in mock, every SDK helper works (%s)', (platform) => {
  let t: TestApp;
  const openai = () => new OpenAI({ apiKey: 'sk-demo-alice', baseURL: `${t.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: 'sk-demo-bob', baseURL: t.url, maxRetries: 0 });
  beforeAll(async () => {
    t = await startGateway(platform, { MONTHLY_TOKENS_PER_USER: '1000000' }, { log: { level: 'silent' } });
  });
  afterAll(() => t?.close());

  it('openai chat.completions.stream(): content deltas, finalChatCompletion with role, finish_reason and usage', async () => {
    const stream = openai().chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 40 });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const completion = await stream.finalChatCompletion();
    expect(deltas.join('')).toBe(REPLY);
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: REPLY } });
    expect(completion.usage).toMatchObject({ completion_tokens: 40 });
    expect(await stream.finalContent()).toBe(REPLY);
  });

  it('openai chat.completions.runTools() (no tool call) ends with the reply', async () => {
    const runner = openai().chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 20,
      stream: true,
      tools: [
        {
          type: 'function',
          function: {
            name: 'noop',
            description: 'does nothing',
            parameters: { type: 'object', properties: {} },
            function: () => 'ok',
            parse: JSON.parse,
          },
        },
      ],
    });
    expect(await runner.finalContent()).toBe(REPLY);
  });

  it('openai responses.stream(): text deltas and finalResponse with output_text and usage', async () => {
    const stream = openai().responses.stream({ model: 'gpt-4o-mini', input: 'Hi', max_output_tokens: 30 });
    let text = '';
    stream.on('response.output_text.delta', (event) => (text += event.delta));
    const response = await stream.finalResponse();
    expect(text).toBe(REPLY);
    expect(response.output_text).toBe(REPLY);
    expect(response.status).toBe('completed');
    expect(response.usage).toMatchObject({ output_tokens: 30 });
  });

  it('anthropic messages.stream(): text events, finalMessage and finalText; the usage charged', async () => {
    const before = (await userBudget(t.url, 'sk-demo-bob')).used;
    const stream = anthropic().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 25, messages: [{ role: 'user', content: 'Hi' }] });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const message = await stream.finalMessage();
    expect(text).toBe(REPLY);
    expect(message).toMatchObject({
      role: 'assistant',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: REPLY }],
      usage: { output_tokens: 25 },
    });
    expect(await stream.finalText()).toBe(REPLY);
    expect((await userBudget(t.url, 'sk-demo-bob')).used - before).toBe(message.usage.input_tokens + 25);
  });

  it("anthropic: a message's _request_id is the gateway's request id (the request-id header, as Anthropic sends it)", async () => {
    const { response, request_id } = await anthropic()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(request_id).toMatch(/^[\w-]+$/);
    expect(request_id).toBe(response.headers.get('x-request-id'));
  });

  it("anthropic messages.countTokens(): the library's estimate of the prompt, in Anthropic's shape; not charged", async () => {
    const body = {
      model: 'claude-sonnet-4-6',
      system: 'Be brief.',
      messages: [{ role: 'user' as const, content: 'How many tokens is this sentence?' }],
    };
    const before = (await userBudget(t.url, 'sk-demo-bob')).used;
    const counted = await anthropic().messages.countTokens(body);
    expect(counted).toEqual({ input_tokens: estimateRequestBody(body)!.inputTokens });
    expect(counted.input_tokens).toBeGreaterThan(5);
    // the same number the gateway holds and the mock bills as input on /v1/messages
    const message = await anthropic().messages.create({ ...body, max_tokens: 10 });
    expect(message.usage.input_tokens).toBe(counted.input_tokens);
    expect((await userBudget(t.url, 'sk-demo-bob')).used - before).toBe(counted.input_tokens + 10);
  });

  it('count_tokens without messages: 400 in Anthropic shape; without a key: 401', async () => {
    const res = await fetch(`${t.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-demo-bob', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('messages') },
      request_id: expect.any(String),
    });
    const anonymous = await fetch(`${t.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"x","messages":[]}',
    });
    expect(anonymous.status).toBe(401);
  });

  it('openai models.list() and models.retrieve(): the models the gateway serves, in OpenAI list shape', async () => {
    const models = [];
    for await (const model of openai().models.list()) models.push(model);
    const ids = models.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'gpt-4o']));
    expect(ids).not.toContain('claude-sonnet-4-6');
    expect(models[0]).toMatchObject({ object: 'model', owned_by: expect.any(String), created: expect.any(Number) });
    expect(await openai().models.retrieve('gpt-4o-mini')).toMatchObject({ id: 'gpt-4o-mini', object: 'model' });
    await expect(openai().models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    // each listed model is served by the mock
    const served = await openai().chat.completions.create({
      model: ids[ids.indexOf('gpt-4o-mini')],
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 3,
    });
    expect(served.choices[0].message.content).toBe(REPLY);
  });

  it("anthropic models.list(): Anthropic's models in Anthropic's shape (anthropic-version header)", async () => {
    const models = [];
    for await (const model of anthropic().models.list()) models.push(model);
    expect(models.length).toBeGreaterThan(3);
    expect(models.every((m) => m.type === 'model' && m.id.startsWith('claude'))).toBe(true);
    expect(models[0]).toMatchObject({ display_name: expect.any(String), created_at: expect.stringMatching(/^\d{4}-/) });
    const raw = await get(`${t.url}/v1/models`, { 'x-api-key': 'sk-demo-bob', 'anthropic-version': '2023-06-01' });
    expect(raw.body).toMatchObject({ has_more: false, first_id: models[0].id, last_id: models.at(-1)!.id });
  });
});

describe('MONTHLY_TOKENS_PER_USER=0', () => {
  it('boots, and means unlimited: a large call is served and counted', async () => {
    const t = await startGateway('express', { MONTHLY_TOKENS_PER_USER: '0' }, { log: { level: 'silent' } });
    try {
      const client = new OpenAI({ apiKey: 'sk-demo-bob', baseURL: `${t.url}/v1`, maxRetries: 0 });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16_000 });
      const budget = await userBudget(t.url, 'sk-demo-bob');
      expect(budget.used).toBeGreaterThan(16_000);
      expect(budget.remaining).toBeNull();
    } finally {
      await t.close();
    }
  });
});
