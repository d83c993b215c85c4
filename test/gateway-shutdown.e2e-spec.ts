import { BudgetService, RedisAdapter } from 'nestjs-token-budget';
import { budgetService } from './fixtures/service';
import { buildGatewayApp, GatewayProcess, startGatewayProcess } from './fixtures/gateway-process';
import { readSse } from './fixtures/sse-client';
import { freePort, RedisServerHandle, startRedisServer } from './setup/redis-server';

const streamed = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hi' }],
  max_tokens: 30,
  stream: true,
  stream_options: { include_usage: true },
};
const REPLY = 'This is the mock upstream.';

const openStream = (gateway: GatewayProcess) =>
  fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-demo-alice', 'content-type': 'application/json' },
    body: JSON.stringify(streamed),
  });

describe.each(['express', 'fastify'])('graceful shutdown of the gateway process on %s over Redis', (platform) => {
  let redis: RedisServerHandle;
  let reader: { budgets: BudgetService; close(): Promise<void> };

  beforeAll(async () => {
    if (platform === 'express') buildGatewayApp();
    redis = await startRedisServer(); // its own Redis: the gateway's default key prefix, nothing else in it
    // the gateway's user rule, read from the same Redis after the gateway has gone
    reader = await budgetService({ storage: new RedisAdapter(redis.url), budgets: [{ scope: 'user', period: 'month', tokens: 100_000 }] });
  }, 120_000);
  afterAll(async () => {
    await reader.close();
    await redis.stop();
  });

  const usageOfAlice = async () => (await reader.budgets.getUsage({ user: 'alice' }))[0];

  it('finishes the stream in flight, commits its usage, refuses new connections and exits 0', async () => {
    const before = await usageOfAlice();
    const port = await freePort();
    const gateway = await startGatewayProcess({
      PLATFORM: platform,
      PORT: String(port),
      REDIS_URL: redis.url,
      MOCK_STREAM_DELAY_MS: '150',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    try {
      const response = await openStream(gateway);
      expect(response.status).toBe(200);
      let signalled: Promise<unknown> | undefined;
      const events = await readSse(response, () => {
        if (!signalled) {
          // first chunk received: the stream is in flight and the rest is still to come
          gateway.child.kill('SIGTERM');
          signalled = gateway.line(/^SIGTERM: no longer accepting connections/);
        }
        return true;
      });
      await signalled;
      const chunks = events
        .filter((e) => e.data !== '[DONE]')
        .map((e) => JSON.parse(e.data) as { choices: { delta: { content?: string } }[]; usage: { total_tokens: number } | null });
      expect(events.at(-1)?.data).toBe('[DONE]');
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(REPLY);
      const usage = chunks.at(-1)!.usage!;
      expect(usage.total_tokens).toBeGreaterThan(30);
      expect(await gateway.exited).toBe(0);
      // after SIGTERM, nobody listens any more
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      const after = await usageOfAlice();
      expect(after.used - (before?.used ?? 0)).toBe(usage.total_tokens);
      expect(after.reserved).toBe(0);
      expect(gateway.lines.some((l) => l.msg === 'Closed')).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a request that arrives after SIGTERM while a stream is still running', async () => {
    const port = await freePort();
    const gateway = await startGatewayProcess({
      PLATFORM: platform,
      PORT: String(port),
      REDIS_URL: redis.url,
      MOCK_STREAM_DELAY_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    try {
      const response = await openStream(gateway);
      const reading = readSse(response);
      gateway.child.kill('SIGTERM');
      await gateway.line(/^SIGTERM: no longer accepting connections/);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow(); // the stream is still running, the port is closed
      expect((await reading).at(-1)?.data).toBe('[DONE]');
      expect(await gateway.exited).toBe(0);
    } finally {
      await gateway.stop();
    }
  });

  it('cuts a stream that outlasts SHUTDOWN_TIMEOUT_MS, commits what it delivered and leaves nothing reserved', async () => {
    const before = await usageOfAlice();
    const gateway = await startGatewayProcess({
      PLATFORM: platform,
      PORT: String(await freePort()),
      REDIS_URL: redis.url,
      MOCK_STREAM_DELAY_MS: '5000',
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    try {
      const response = await openStream(gateway);
      const reading = readSse(response);
      // the gateway has reserved for the stream once it sent the headers
      expect((await usageOfAlice()).reserved).toBeGreaterThan(0);
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      await reading;
      const after = await usageOfAlice();
      expect(after.reserved).toBe(0);
      expect(after.used).toBeGreaterThan(before?.used ?? 0); // the cut stream's prompt (and what it delivered) is counted
      expect(gateway.lines.some((l) => /still running after 300 ms/.test(String(l.msg)))).toBe(true);
    } finally {
      await gateway.stop();
    }
  });
});
