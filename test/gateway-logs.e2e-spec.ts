import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { AppModule } from '../src/app.module';
import { PLATFORMS, post, startApp, TestApp } from './fixtures/create-app';
import { startGateway } from './fixtures/gateway-app';

/** Collects the gateway's JSON log lines. */
class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const text of chunk.toString().split('\n')) if (text.trim()) this.lines.push(JSON.parse(text) as Record<string, unknown>);
    done();
  }
  /** The request line of the request with this id. */
  request(id: string): Record<string, unknown> | undefined {
    return this.lines.find((l) => l.requestId === id && typeof l.status === 'number');
  }
}

/**
 * nestjs-pino 5 (the one of Nest 12) builds one pino-http instance per process, from the options of
 * the first app that logs, and keeps it; 4.x builds one per app. Each app of this file writes to a
 * capture of its own, so that instance is dropped before each app is built (nothing to drop on 4.x).
 */
function freshNestjsPinoRoot(): void {
  let rootLogger: { resetRootLogger?: () => void };
  try {
    rootLogger = require(join(dirname(require.resolve('nestjs-pino')), 'rootLogger.js'));
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') return; // 4.x
    throw error;
  }
  rootLogger.resetRootLogger?.();
}

const chat = (maxTokens: number, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: maxTokens,
  ...extra,
});

describe.each(PLATFORMS)('gateway request logs on %s', (platform) => {
  let t: TestApp;
  const capture = new LogCapture();
  const env = { ...process.env };

  beforeAll(async () => {
    process.env.MONTHLY_TOKENS_PER_USER = '1000';
    delete process.env.REDIS_URL;
    freshNestjsPinoRoot();
    const tiers = {
      definitions: { free: { limit: 1, ttl: '1m', degradeTo: 'gpt-4o-mini' } },
      default: 'free',
      enforce: 'degrade' as const,
    };
    t = await startApp(platform, {
      imports: [
        AppModule.register({ log: { stream: capture, level: 'info' }, budget: { tiers, budgets: [{ scope: 'user', tokens: 1_000 }] } }),
      ],
    });
  });
  afterAll(async () => {
    process.env = env;
    await t.close();
  });

  const lineOf = async (res: { headers: Headers }) => {
    const id = res.headers.get('x-request-id');
    expect(id).toBeTruthy();
    await new Promise((resolve) => setImmediate(resolve)); // the line is written when the response finishes
    return capture.request(id!);
  };

  it('writes one line per request with its id, user, route, status, decision and duration, and no key', async () => {
    const res = await post(`${t.url}/v1/chat/completions?debug=1`, chat(20, { model: 'gpt-4o' }), {
      authorization: 'Bearer sk-demo-alice',
      'x-request-id': 'req-given-1',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-given-1');
    const line = await lineOf(res);
    expect(line).toMatchObject({
      requestId: 'req-given-1',
      userId: 'alice',
      tenantId: 'demo',
      route: '/v1/chat/completions',
      status: 200,
      decision: 'admitted',
      level: 30,
    });
    expect(line!.estimate).toEqual(expect.any(Number));
    expect(line!.responseTime).toEqual(expect.any(Number));
    expect(capture.lines.filter((l) => l.requestId === 'req-given-1')).toHaveLength(1);
    const text = JSON.stringify(capture.lines);
    expect(text).not.toContain('sk-demo-alice');
    expect((line!.req as { headers: Record<string, string> }).headers.authorization).toBe('[redacted]');
  });

  it('redacts query values and every credential-bearing header', async () => {
    const secrets = {
      'proxy-authorization': 'Basic c2VjcmV0LXByb3h5',
      'x-goog-api-key': 'AIza-secret-goog',
      'anthropic-api-key': 'sk-ant-secret-anthropic',
      'api-key': 'azure-secret-key',
      cookie: 'session=secret-cookie',
      'x-custom-token': 'secret-custom-token',
    };
    const res = await post(`${t.url}/v1/chat/completions?key=sk-tb-secret-query&debug=1`, chat(20, { model: 'gpt-4o' }), {
      authorization: 'Bearer sk-demo-alice',
      'x-request-id': 'req-redact-1',
      ...secrets,
    });
    expect(res.status).toBe(200);
    const line = (await lineOf(res))!;
    const text = JSON.stringify(line);
    for (const secret of ['sk-tb-secret-query', 'sk-demo-alice', ...Object.values(secrets)]) expect(text).not.toContain(secret);
    const req = line.req as { url: string; headers: Record<string, string> };
    expect(req.url).toBe('/v1/chat/completions?key=[redacted]&debug=[redacted]');
    for (const name of Object.keys(secrets)) expect(req.headers[name]).toBe('[redacted]');
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('logs a request over its tier rate as degraded, with the model that served it', async () => {
    const res = await post(`${t.url}/v1/chat/completions`, chat(20, { model: 'gpt-4o' }), { authorization: 'Bearer sk-demo-alice' });
    expect(res.status).toBe(200);
    expect(await lineOf(res)).toMatchObject({ userId: 'alice', decision: 'degraded', degradedTo: 'gpt-4o-mini' });
  });

  it('logs refusals with their reason, generates request ids, and keeps x-api-key out', async () => {
    const over = await post(`${t.url}/v1/chat/completions`, chat(5_000), { 'x-api-key': 'sk-demo-bob' });
    expect(over.status).toBe(402);
    const line = await lineOf(over);
    expect(line).toMatchObject({ userId: 'bob', status: 402, decision: 'rejected', reason: 'user_token_limit_exceeded', level: 40 });
    expect(over.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const anonymous = await post(`${t.url}/v1/chat/completions`, chat(5), { 'x-request-id': 'bad id with spaces' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-request-id')).not.toBe('bad id with spaces');
    expect(await lineOf(anonymous)).toMatchObject({ status: 401, decision: 'rejected', reason: 'unauthorized' });
    expect(JSON.stringify(capture.lines)).not.toContain('sk-demo-bob');
  });
});

describe.each(PLATFORMS)('gateway request logs of refused bodies on %s (the gateway as main.ts builds it)', (platform) => {
  it('logs invalid JSON and oversized bodies with a request id and their reason', async () => {
    const capture = new LogCapture();
    freshNestjsPinoRoot();
    const t = await startGateway(platform, { MAX_BODY_BYTES: '100000' }, { log: { stream: capture, level: 'info' } });
    const lineOf = async (res: Response) => {
      await new Promise((resolve) => setImmediate(resolve)); // the line is written when the response finishes
      return capture.request(res.headers.get('x-request-id') ?? 'none');
    };
    try {
      const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-demo-alice' };
      const bad = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': 'req-bad-json' },
        body: '{"model":',
      });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('x-request-id')).toBe('req-bad-json');
      expect(await lineOf(bad)).toMatchObject({ requestId: 'req-bad-json', status: 400, decision: 'rejected', reason: 'bad_request' });
      const huge = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': 'req-huge' },
        body: JSON.stringify({ ...chat(5), pad: 'x'.repeat(200_000) }),
      });
      expect(huge.status).toBe(413);
      expect(await lineOf(huge)).toMatchObject({ requestId: 'req-huge', status: 413, decision: 'rejected', reason: 'payload_too_large' });
      const ok = await post(`${t.url}/v1/chat/completions`, chat(5), headers);
      expect(ok.status).toBe(200); // bodies under the limit are still parsed
    } finally {
      await t.close();
    }
  });
});
