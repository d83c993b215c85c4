import Anthropic from '@anthropic-ai/sdk';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { request } from 'node:http';
import { chat, CHAT_PROMPT } from './fixtures/keys-gateway';
import { buildGatewayApp, GatewayProcess, startGatewayProcess } from './fixtures/gateway-process';
import { HostileBehaviour, HostileUpstream, NEVER_ENDING_TEXT } from './fixtures/hostile-upstream';

const o200k = require('gpt-tokenizer/encoding/o200k_base') as { encode(text: string): number[] };
const ADMIN = 'hostile-admin-key-0123456789';
const MB = 1024 * 1024;
const run = `${process.pid}-${Date.now().toString(36)}`;
let users = 0;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** True when the gateway cut the connection before the end of the answer. */
  cut: boolean;
  ms: number;
}

/** One POST through node:http, keeping what arrived even when the connection is cut. */
function send(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      const done = (cut: boolean) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, cut, ms: Date.now() - started });
      res.once('end', () => done(false));
      res.once('aborted', () => done(true));
      res.once('error', () => done(true));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  return Number(kb) * 1024;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(['express', 'fastify'] as const)('the built gateway (%s) in front of a hostile upstream', (platform) => {
  let upstream: HostileUpstream;
  let gateway: GatewayProcess;
  const admin = { authorization: `Bearer ${ADMIN}` };

  beforeAll(async () => {
    buildGatewayApp();
    upstream = await new HostileUpstream().start();
    gateway = await startGatewayProcess({
      PORT: '0',
      PLATFORM: platform,
      ADMIN_KEY: ADMIN,
      UPSTREAM_OPENAI_URL: `${upstream.url}/v1`,
      UPSTREAM_ANTHROPIC_URL: upstream.url,
      OPENAI_API_KEY: 'sk-proj-server-key-abcd',
      ANTHROPIC_API_KEY: 'sk-ant-server-key-abcd',
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '1500',
      UPSTREAM_IDLE_TIMEOUT_MS: '1500',
      UPSTREAM_TOTAL_TIMEOUT_MS: '3000',
      MONTHLY_TOKENS_PER_USER: '1000000',
    });
  }, 180_000);
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  /** A fresh user's key, so each case reads its own budget. */
  const newKey = async (): Promise<string> => {
    const res = await fetch(`${gateway.url}/admin/api/keys`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ user: `hostile-${run}-${++users}` }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { key: string }).key;
  };
  /** The caller's user budget once nothing is held any more. */
  const settledBudget = async (key: string) => {
    const read = async () => {
      const rules = (await (await fetch(`${gateway.url}/v1/budget`, { headers: { authorization: `Bearer ${key}` } })).json()) as Array<{
        scope: string;
        used: number;
        reserved: number;
      }>;
      return rules.find((r) => r.scope === 'user')!;
    };
    return waitFor(read, (rule) => rule.reserved === 0);
  };
  const openai = (behaviour: HostileBehaviour, key: string, body: object = chat(50)) => {
    upstream.behaviour = behaviour;
    return send(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${key}` });
  };
  const anthropic = (behaviour: HostileBehaviour, key: string, stream = false) => {
    upstream.behaviour = behaviour;
    const body = {
      model: 'claude-3-5-haiku-20241022',
      max_tokens: 50,
      stream,
      messages: [{ role: 'user', content: 'Say hello in twelve words.' }],
    };
    return send(`${gateway.url}/v1/messages`, body, { 'x-api-key': key, 'anthropic-version': '2023-06-01' });
  };
  const errorOf = (answer: Answer) => (JSON.parse(answer.text) as { error: { code: string; message: string; type: string } }).error;

  it('an endless SSE line (600 MB, no newline): 502 upstream_line_too_long at the 4 MiB line cap; the prompt is charged', async () => {
    const key = await newKey();
    const before = upstream.written;
    const answer = await openai('endless-line', key, { ...chat(50), stream: true });
    expect(answer.status).toBe(502);
    expect(errorOf(answer)).toMatchObject({ code: 'upstream_line_too_long', type: 'upstream_error' });
    // the gateway stopped reading near the cap (socket buffers aside), not after 600 MB
    await waitFor(
      async () => upstream.openConnections,
      (open) => open <= 1,
    );
    expect(upstream.written - before).toBeLessThan(64 * MB);
    expect(await settledBudget(key)).toMatchObject({ used: CHAT_PROMPT, reserved: 0 });
  });

  it('the same on /v1/messages, in the Anthropic error shape', async () => {
    const key = await newKey();
    const answer = await anthropic('endless-line', key, true);
    expect(answer.status).toBe(502);
    const body = JSON.parse(answer.text) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(body.error.message).toMatch(/UPSTREAM_MAX_LINE_BYTES/);
  });

  it('a 300 MB JSON answer: 502 upstream_response_too_large at the 16 MiB cap; the prompt is charged', async () => {
    const key = await newKey();
    const answer = await openai('huge-json', key);
    expect(answer.status).toBe(502);
    expect(errorOf(answer).code).toBe('upstream_response_too_large');
    expect(await settledBudget(key)).toMatchObject({ used: CHAT_PROMPT, reserved: 0 });
  });

  it('a gzip bomb (1 MB that expands to 1 GiB): 502 upstream_response_too_large, counted after decompression', async () => {
    const key = await newKey();
    const answer = await openai('gzip-bomb', key);
    expect(answer.status).toBe(502);
    expect(errorOf(answer).code).toBe('upstream_response_too_large');
    expect(await settledBudget(key)).toMatchObject({ used: CHAT_PROMPT, reserved: 0 });
  });

  it('a stream that never ends: cut at the total timeout with a final error event; what was streamed is charged, with the prompt', async () => {
    const key = await newKey();
    const answer = await openai('never-ending-stream', key, { ...chat(5000), stream: true });
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(15_000);
    const events = answer.text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as { choices?: Array<{ delta: { content: string } }>; error?: { code: string } });
    expect(events.at(-1)).toEqual({ error: expect.objectContaining({ code: 'upstream_total_timeout', type: 'upstream_error' }) });
    const text = events
      .flatMap((e) => e.choices ?? [])
      .map((c) => c.delta.content)
      .join('');
    expect(text.length).toBeGreaterThan(NEVER_ENDING_TEXT.length * 5);
    expect(await settledBudget(key)).toMatchObject({ used: CHAT_PROMPT + o200k.encode(text).length, reserved: 0 });
  });

  it('the openai and Anthropic SDKs raise the cut stream as an API error with the code, after the text that streamed', async () => {
    const key = await newKey();
    upstream.behaviour = 'never-ending-stream';
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    let text = '';
    const failure = await (async () => {
      const stream = await client.chat.completions.create({ ...chat(5000), stream: true } as never);
      for await (const chunk of stream as unknown as AsyncIterable<{ choices: Array<{ delta: { content?: string } }> }>)
        text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_total_timeout');
    expect(text).toContain(NEVER_ENDING_TEXT);

    upstream.behaviour = 'endless-line';
    const anthropicClient = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const refused = await anthropicClient.messages
      .create({ model: 'claude-3-5-haiku-20241022', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Anthropic.APIError);
    expect((refused as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
    expect(String((refused as Error).message)).toMatch(/upstream_line_too_long|UPSTREAM_MAX_LINE_BYTES/);
  });

  it('hangs before the headers: 504 upstream_first_byte_timeout after UPSTREAM_FIRST_BYTE_TIMEOUT_MS; the prompt is charged', async () => {
    const key = await newKey();
    const answer = await openai('hang-before-headers', key);
    expect(answer.status).toBe(504);
    expect(errorOf(answer).code).toBe('upstream_first_byte_timeout');
    expect(answer.ms).toBeGreaterThanOrEqual(1400);
    expect(answer.ms).toBeLessThan(15_000);
    expect(await settledBudget(key)).toMatchObject({ used: CHAT_PROMPT, reserved: 0 });
  });

  it('hangs after the headers (JSON and stream): 504 upstream_idle_timeout', async () => {
    const key = await newKey();
    const json = await openai('hang-after-headers', key);
    expect(json.status).toBe(504);
    expect(errorOf(json).code).toBe('upstream_idle_timeout');
    const stream = await openai('hang-after-stream-headers', key, { ...chat(50), stream: true });
    expect(stream.status).toBe(504);
    expect(errorOf(stream).code).toBe('upstream_idle_timeout');
    expect(await settledBudget(key)).toMatchObject({ used: 2 * CHAT_PROMPT, reserved: 0 });
  });

  it.each(['empty-200', 'null-200', 'html-200'] as const)(
    'a 200 that is not a JSON object (%s): 502 upstream_invalid_response, nothing of the body shown',
    async (behaviour) => {
      const key = await newKey();
      const answer = await openai(behaviour, key);
      expect(answer.status).toBe(502);
      expect(errorOf(answer).code).toBe('upstream_invalid_response');
      expect(answer.text).not.toMatch(/internal-host|secret-upstream-detail|html/);
      expect(await settledBudget(key)).toMatchObject({ used: CHAT_PROMPT, reserved: 0 });
    },
  );

  it("the provider refuses the server's key (401): 502 upstream_auth_failed without the provider's text; the operator's log has it", async () => {
    const key = await newKey();
    const answer = await openai('auth-401', key);
    expect(answer.status).toBe(502);
    expect(errorOf(answer)).toMatchObject({ code: 'upstream_auth_failed' });
    expect(answer.text).not.toMatch(/sk-proj|abcd|Incorrect API key/);
    const onMessages = await anthropic('auth-401', key);
    expect(onMessages.status).toBe(502);
    expect(onMessages.text).not.toMatch(/sk-proj|abcd|Incorrect/);
    expect(await gateway.line(/refused the gateway's credentials \(401\).*Incorrect API key/)).toBeDefined();
    expect(await settledBudget(key)).toMatchObject({ used: 0, reserved: 0 });
  });

  it('a non-JSON error answer keeps its status and retry headers, with a generic message', async () => {
    const key = await newKey();
    const answer = await openai('html-500', key);
    expect(answer.status).toBe(500);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.text).not.toMatch(/secret-upstream-detail|stack trace/);
    expect(errorOf(answer).message).toMatch(/answered 500/);
    expect(await settledBudget(key)).toMatchObject({ used: 0, reserved: 0 });
  });

  it('an upstream that cannot be reached: 502 upstream_unavailable, without its address; nothing charged', async () => {
    // a port that was free a moment ago: connections to it are refused
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const closed = await startGatewayProcess({
      PORT: '0',
      PLATFORM: platform,
      ADMIN_KEY: ADMIN,
      UPSTREAM_OPENAI_URL: `http://127.0.0.1:${port}/v1`,
      OPENAI_API_KEY: 'sk-x',
    });
    try {
      const res = await fetch(`${closed.url}/admin/api/keys`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ user: `hostile-${run}-${++users}` }),
      });
      const { key } = (await res.json()) as { key: string };
      const answer = await send(`${closed.url}/v1/chat/completions`, chat(50), { authorization: `Bearer ${key}` });
      expect(answer.status).toBe(502);
      expect(errorOf(answer).code).toBe('upstream_unavailable');
      expect(answer.text).not.toContain(String(port));
      const rules = (await (await fetch(`${closed.url}/v1/budget`, { headers: { authorization: `Bearer ${key}` } })).json()) as Array<{
        scope: string;
        used: number;
        reserved: number;
      }>;
      expect(rules.find((r) => r.scope === 'user')).toMatchObject({ used: 0, reserved: 0 });
    } finally {
      await closed.stop();
    }
  });

  it('8 concurrent 600 MB SSE lines: every caller gets its 502, the gateway stays up under 300 MB of RSS, budgets exact', async () => {
    const key = await newKey();
    upstream.behaviour = 'endless-line';
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        send(`${gateway.url}/v1/chat/completions`, { ...chat(50), stream: true }, { authorization: `Bearer ${key}` }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(502);
      expect(errorOf(answer).code).toBe('upstream_line_too_long');
    }
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    const peak = peakRss(gateway.child.pid!);
    process.stdout.write(`[hostile ${platform}] peak RSS of the gateway over the whole suite: ${(peak / MB).toFixed(1)} MB\n`);
    expect(peak).toBeLessThan(300 * MB);
    expect(await settledBudget(key)).toMatchObject({ used: 8 * CHAT_PROMPT, reserved: 0 });
  });
});
