import Anthropic from '@anthropic-ai/sdk';
import { BudgetService } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { countTokens } from '../libs/token-budget/src/tokens/tokenizer';
import { eventually, PLATFORMS, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { startStreamApp } from './fixtures/stream-test.controller';

const text = (chunks: number) => Array.from({ length: chunks }, (_, i) => FakeProvider.chunkText(i)).join('');

async function settledUsage(t: TestApp, user: string): Promise<number> {
  const budgets = t.app.get(BudgetService);
  await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0);
  return (await budgets.getUsage(user))[0].used;
}

describe.each(PLATFORMS)('streamed results on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, { budgets: [{ scope: 'user', period: 'day', tokens: 1_000_000 }] });
  });
  afterAll(async () => {
    await t?.close();
    await upstream.close();
  });

  it('an OpenAI SDK stream returned from a POST route reaches the openai client whole, and its include_usage figures are committed', async () => {
    const client = new OpenAI({
      apiKey: 'x',
      baseURL: `${t.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-user': `${platform}-oa`, 'x-fake-chunks': '7', 'x-fake-prompt-tokens': '31' },
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let content = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe(text(7));
    expect(usage).toMatchObject({ prompt_tokens: 31, completion_tokens: countTokens(text(7), 'gpt-4o-mini') });
    expect(await settledUsage(t, `${platform}-oa`)).toBe(31 + countTokens(text(7), 'gpt-4o-mini'));
  });

  it('a non-streamed call on the same route commits its usage', async () => {
    const client = new OpenAI({
      apiKey: 'x',
      baseURL: `${t.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-user': `${platform}-whole`, 'x-fake-prompt-tokens': '9' },
    });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0].message.content).toBe(text(5));
    expect(await settledUsage(t, `${platform}-whole`)).toBe(completion.usage!.total_tokens);
  });

  it('an Anthropic SDK stream reaches the Anthropic client with its event names; message_start input plus the last message_delta output are committed', async () => {
    const client = new Anthropic({
      apiKey: 'x',
      baseURL: t.url,
      maxRetries: 0,
      defaultHeaders: { 'x-user': `${platform}-an`, 'x-fake-chunks': '9', 'x-fake-prompt-tokens': '25' },
    });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text', text: text(9) });
    const output = countTokens(text(9), 'claude-sonnet-4-5');
    expect(message.usage).toMatchObject({ input_tokens: 25, output_tokens: output });
    expect(await settledUsage(t, `${platform}-an`)).toBe(25 + output);
  });

  it('an OpenAI Responses event stream: the usage of response.completed is committed', async () => {
    const client = new OpenAI({
      apiKey: 'x',
      baseURL: t.url,
      maxRetries: 0,
      defaultHeaders: { 'x-user': `${platform}-resp`, 'x-fake-prompt-tokens': '36' },
    });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi', stream: true });
    let deltas = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') deltas += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(deltas).toBe(text(5));
    expect(await settledUsage(t, `${platform}-resp`)).toBe(completed!.usage!.total_tokens);
  });

  it.each([
    ['@Sse() over an openai stream', 'sse/chat', 'gpt-4o-mini', 40],
    ['@Sse() over an Anthropic stream', 'sse/anthropic', 'claude-sonnet-4-5', 41],
  ])('%s: every chunk is sent as an SSE event, the reported usage committed', async (_name, path, model, prompt) => {
    const user = `${platform}-${path}`;
    const response = await fetch(`${t.url}/${path}`, {
      headers: { 'x-user': user, 'x-fake-chunks': '6', 'x-fake-prompt-tokens': String(prompt) },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const body = await response.text();
    const deltas = [...body.matchAll(/"(?:content|text)":"([^"]*)"/g)].map((m) => m[1]).join('');
    expect(deltas).toBe(text(6));
    if (path === 'sse/anthropic') expect(body).toContain('event: message_start\n');
    else expect(body).toContain('data: [DONE]');
    expect(await settledUsage(t, user)).toBe(prompt + countTokens(text(6), model));
  });

  it.each([
    ['raw/chat', 'text/event-stream', 'gpt-4o-mini'],
    ['raw/responses', 'text/event-stream', 'gpt-4o-mini'],
    ['raw/anthropic', 'text/event-stream', 'claude-sonnet-4-5'],
    ['raw/gemini', 'text/event-stream', 'gemini-2.5-flash'],
    ['raw/ollama', 'application/x-ndjson', 'gpt-4o-mini'],
    ['readable/gemini', 'text/event-stream', 'gemini-2.5-flash'],
    ['readable/ollama', 'application/x-ndjson', 'gpt-4o-mini'],
  ])('%s: the upstream bytes reach the client unchanged and its usage is committed', async (path, type, model) => {
    const user = `${platform}-${path}`;
    const headers = { 'x-user': user, 'x-fake-chunks': '8', 'x-fake-prompt-tokens': '17', 'content-type': 'application/json' };
    const response = await fetch(`${t.url}/${path}`, { method: 'POST', headers, body: JSON.stringify({}) });
    const body = await response.text();
    if (path.startsWith('raw/')) expect(response.headers.get('content-type')).toBe(type);
    else expect(response.headers.get('content-type')).toContain(type);
    const upstreamBody = await fetch(`${upstream.url}${upstreamPath(path)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fake-chunks': '8', 'x-fake-prompt-tokens': '17' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }),
    }).then((r) => r.text());
    expect(normalise(body)).toBe(normalise(upstreamBody));
    expect(await settledUsage(t, user)).toBe(17 + countTokens(text(8), model));
  });

  it('a web ReadableStream (stream.toReadableStream()) is sent as NDJSON and its usage chunk committed', async () => {
    const user = `${platform}-web`;
    const response = await fetch(`${t.url}/web/chat`, { method: 'POST', headers: { 'x-user': user, 'x-fake-prompt-tokens': '3' } });
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.choices[0]?.delta?.content ?? '').join('')).toBe(text(5));
    expect(await settledUsage(t, user)).toBe(3 + countTokens(text(5), 'gpt-4o-mini'));
  });

  it('a stream without usage (no include_usage) is counted from the streamed text', async () => {
    const user = `${platform}-gen`;
    const response = await fetch(`${t.url}/generator/chat`, { method: 'POST', headers: { 'x-user': user, 'x-fake-chunks': '12' } });
    const body = await response.text();
    expect(body).not.toContain('"usage":{');
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // no usage and no input estimate: only the streamed output is known
    expect(await settledUsage(t, user)).toBe(countTokens(text(12), 'gpt-4o-mini'));
  });
});

function upstreamPath(path: string): string {
  const provider = path.split('/')[1];
  return {
    chat: '/v1/chat/completions',
    responses: '/v1/responses',
    anthropic: '/v1/messages',
    gemini: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    ollama: '/api/chat',
  }[provider]!;
}

/** Stream bodies with the per-response sequence numbers blanked (the Responses fake numbers events globally). */
function normalise(body: string): string {
  return body.replace(/"sequence_number":\d+/g, '"sequence_number":0');
}

describe("streams when storage is down and failMode is 'open'", () => {
  it('are still sent whole (admitted without a hold, nothing to settle)', async () => {
    const upstream = await new FakeProvider().start();
    const failing = {
      reserve: () => Promise.reject(new Error('down')),
      commit: () => Promise.reject(new Error('down')),
      release: () => Promise.reject(new Error('down')),
      read: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')),
    };
    const t = await startStreamApp('express', upstream.url, {
      failMode: 'open',
      storage: failing as never,
      budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }],
    });
    try {
      const client = new OpenAI({ apiKey: 'x', baseURL: `${t.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-user': 'open-1' } });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      let content = '';
      for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
      expect(content).toBe(text(5));
      const sse = await fetch(`${t.url}/sse/anthropic`, { headers: { 'x-user': 'open-1' } }).then((r) => r.text());
      expect(sse).toContain('event: message_stop');
    } finally {
      await t.close();
      await upstream.close();
    }
  });
});
