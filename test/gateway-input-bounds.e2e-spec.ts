import { connect, Socket } from 'node:net';
import { MAX_BODY_DEPTH, MAX_MODEL_NAME_LENGTH } from '../src/body/body-bounds';
import { PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway, testKeys, userBudget } from './fixtures/gateway-app';

const alice = { authorization: 'Bearer sk-alice', 'content-type': 'application/json' };
const chatWith = (model: string, messages: unknown = [{ role: 'user', content: 'hi' }]) =>
  JSON.stringify({ model, messages, max_tokens: 10 });

/** `depth` arrays nested in one another, as JSON text. */
const nested = (depth: number) => `${'['.repeat(depth - 1)}{"role":"user","content":"hi"}${']'.repeat(depth - 1)}`;

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the ms until the server closes `socket` (and what it wrote), or rejects past `timeoutMs`. */
function closed(socket: Socket, timeoutMs = 20_000): Promise<{ ms: number; text: string }> {
  const started = Date.now();
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - started, text });
    });
  });
}

describe.each(PLATFORMS)('bounded inputs on %s', (platform) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startGateway(
      platform,
      { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_MAX_CONNECTIONS: '6' },
      { keys: testKeys('alice'), log: { level: 'silent' } },
    );
  });
  afterAll(() => t?.close());

  const chat = (body: string) => fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: alice, body });

  it(`a model name over ${MAX_MODEL_NAME_LENGTH} characters gets 400 model_name_too_long, at once, holding nothing and labelling nothing`, async () => {
    const atLimit = await chat(chatWith(`gpt-4o-mini${'x'.repeat(MAX_MODEL_NAME_LENGTH - 11)}`));
    expect(atLimit.status).not.toBe(400); // 256 characters pass the bound (the mock then does not know the model)
    const started = Date.now();
    for (const model of ['m'.repeat(MAX_MODEL_NAME_LENGTH + 1), 'm'.repeat(900_000)]) {
      const res = await chat(chatWith(model));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string; param: string } }).error).toMatchObject({
        code: 'model_name_too_long',
        param: 'model',
      });
    }
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await userBudget(t.url, 'sk-alice')).used).toBe(0);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).not.toMatch(/m{257}/);
    expect(metrics.length).toBeLessThan(200_000);
  });

  it(`a body nested deeper than ${MAX_BODY_DEPTH} levels gets 400 body_too_deep (a 100,000-deep array too), not a 502`, async () => {
    const ok = await chat(
      `{"model":"gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"metadata":${nested(MAX_BODY_DEPTH - 2)}}`,
    );
    expect(ok.status).toBe(200);
    for (const depth of [MAX_BODY_DEPTH + 1, 100_000]) {
      const res = await chat(`{"model":"gpt-4o-mini","max_tokens":10,"messages":${nested(depth)}}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_deep');
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('no X-Powered-By on any answer', async () => {
    for (const res of [
      await fetch(`${t.url}/health`),
      await chat(chatWith('gpt-4o-mini')),
      await fetch(`${t.url}/admin`),
      await fetch(`${t.url}/nowhere`),
    ]) {
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('a client that trickles its headers is cut at HTTP_HEADERS_TIMEOUT_MS (408)', async () => {
    const socket = await open(t.url);
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    const { ms, text } = await closed(socket);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(10_000);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a client that trickles its body is cut at HTTP_REQUEST_TIMEOUT_MS', async () => {
    const socket = await open(t.url);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-alice\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`,
    );
    const { ms } = await closed(socket);
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(12_000);
  });

  it('connections past HTTP_MAX_CONNECTIONS are closed on arrival; the others are served', async () => {
    const held = await Promise.all(Array.from({ length: 6 }, () => open(t.url)));
    try {
      const extra = await open(t.url);
      const { ms } = await closed(extra, 5_000);
      expect(ms).toBeLessThan(5_000);
      held[0].write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const answer = await closed(held[0]);
      expect(answer.text).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
