import Redis from 'ioredis';
import { RedisAdapter } from 'nestjs-token-budget';
import { AppModule, GATEWAY_TIERS } from '../src/app.module';
import { eventually, get, PLATFORMS, post, startApp, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { startGateway, testKeys } from './fixtures/gateway-app';
import { sample, scrape } from './fixtures/prometheus';
import { readSse } from './fixtures/sse-client';
import { freePort } from './setup/redis-server';

const o200k = require('gpt-tokenizer/encoding/o200k_base') as { encode(text: string): number[] };
/** One user message: 3 tokens of framing, 3 to prime the reply, role and content. */
const PROMPT = 3 + 3 + o200k.encode('user').length + o200k.encode('Say hello in twelve words.').length;
const chat = (maxTokens: number, model = 'gpt-4o-mini') => ({
  model,
  messages: [{ role: 'user', content: 'Say hello in twelve words.' }],
  max_tokens: maxTokens,
});
/** gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens; gpt-4o: $2.50 and $10. */
const usd = (input: number, output: number, model: 'gpt-4o-mini' | 'gpt-4o') =>
  (model === 'gpt-4o' ? input * 2.5 + output * 10 : input * 0.15 + output * 0.6) / 1e6;
const alice = { authorization: 'Bearer sk-demo-alice' };
const bob = { authorization: 'Bearer sk-demo-bob' };

describe.each(PLATFORMS)('gateway /metrics on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startGateway(platform, { MONTHLY_TOKENS_PER_USER: '1000' });
  });
  afterAll(() => t?.close());

  it('counts committed tokens and cost by scope and model, rejections by reason, and storage latencies', async () => {
    expect((await post(`${t.url}/v1/chat/completions`, chat(100), alice)).status).toBe(200);
    expect((await post(`${t.url}/v1/chat/completions`, chat(50, 'gpt-4o'), bob)).status).toBe(200);
    expect((await post(`${t.url}/v1/chat/completions`, chat(40), bob)).status).toBe(200);
    // refusals: over the monthly budget (a prompt that leaves no room for the 256 output tokens a
    // fair hold keeps at least: a large max_tokens alone is lowered, not refused), no key (twice), a body that is not JSON
    const overBudget = { ...chat(5_000), messages: [{ role: 'user', content: 'hello '.repeat(800) }] };
    expect((await post(`${t.url}/v1/chat/completions`, overBudget, alice)).status).toBe(402);
    expect((await post(`${t.url}/v1/chat/completions`, chat(10), {})).status).toBe(401);
    expect((await post(`${t.url}/v1/chat/completions`, chat(10), { authorization: 'Bearer sk-nobody' })).status).toBe(401);
    const bad = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...alice },
      body: '{"model":',
    });
    expect(bad.status).toBe(400);

    const text = await scrape(t.url);
    const mini = 2 * PROMPT + 100 + 40;
    const big = PROMPT + 50;
    for (const scope of ['user', 'global', 'feature']) {
      expect(sample(text, 'tokenbudget_tokens_committed_total', { scope, model: 'gpt-4o-mini' })).toBe(mini);
      expect(sample(text, 'tokenbudget_tokens_committed_total', { scope, model: 'gpt-4o' })).toBe(big);
      expect(sample(text, 'tokenbudget_cost_usd_committed_total', { scope, model: 'gpt-4o-mini' })).toBeCloseTo(
        usd(2 * PROMPT, 140, 'gpt-4o-mini'),
        12,
      );
      expect(sample(text, 'tokenbudget_cost_usd_committed_total', { scope, model: 'gpt-4o' })).toBeCloseTo(usd(PROMPT, 50, 'gpt-4o'), 12);
    }
    expect(sample(text, 'tokenbudget_rejections_total', { reason: 'user_token_limit_exceeded' })).toBe(1);
    expect(sample(text, 'tokenbudget_rejections_total', { reason: 'unauthorized' })).toBe(2);
    expect(sample(text, 'tokenbudget_rejections_total', { reason: 'bad_request' })).toBe(1);
    // four requests reached storage (three admitted, one refused); three were committed
    expect(sample(text, 'tokenbudget_reservation_seconds_count')).toBe(4);
    expect(sample(text, 'tokenbudget_commit_seconds_count')).toBe(3);
    expect(sample(text, 'tokenbudget_reservation_seconds_bucket', { le: '+Inf' })).toBe(4);
    expect(sample(text, 'tokenbudget_storage_errors_total', { operation: 'reserve' })).toBe(0);
    // every commit was taken by storage: none waits to be retried, none was given up
    expect(sample(text, 'tokenbudget_pending_settlements')).toBe(0);
    expect(sample(text, 'tokenbudget_settlements_dropped_total')).toBe(0);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts oversized bodies and tier refusals by their reason', async () => {
    const huge = { ...chat(10), messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] };
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...alice },
      body: JSON.stringify(huge),
    });
    expect(res.status).toBe(413);
    expect(sample(await scrape(t.url), 'tokenbudget_rejections_total', { reason: 'payload_too_large' })).toBe(1);
    const tiers = { definitions: { pro: { limit: 1, ttl: '1m' } }, default: 'pro', enforce: 'reject' as const };
    const limited = await startApp(platform, {
      imports: [AppModule.register({ budget: { tiers, budgets: [{ scope: 'user', tokens: 10_000 }] } })],
    });
    try {
      expect((await post(`${limited.url}/v1/chat/completions`, chat(10), bob)).status).toBe(200);
      expect((await post(`${limited.url}/v1/chat/completions`, chat(10), bob)).status).toBe(429);
      const text = await scrape(limited.url);
      expect(sample(text, 'tokenbudget_rejections_total', { reason: 'tier_rate_limited' })).toBe(1);
      expect(sample(text, 'tokenbudget_reservation_seconds_count')).toBe(1); // the refused call never reached the budget
    } finally {
      await limited.close();
    }
  });

  it('labels committed usage by the catalog model, not by the model string a caller sent (no series per invented name)', async () => {
    // the catalog prices 'claude-3-5-sonnet-<anything>' as claude-3-5-sonnet, and the mock echoes the name sent
    const names = Array.from({ length: 25 }, (_, i) => `claude-3-5-sonnet-x${i}-${Date.now()}`);
    const big = await startApp(platform, {
      imports: [AppModule.register({ budget: { budgets: [{ scope: 'user', tokens: 10_000_000 }] } })],
    });
    try {
      for (const model of names) {
        const res = await post(`${big.url}/v1/messages`, { model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, bob);
        expect(res.status).toBe(200);
      }
      const text = await scrape(big.url);
      const series = text
        .split('\n')
        .filter((line) => line.startsWith('tokenbudget_tokens_committed_total{') && line.includes('scope="user"'));
      expect(series).toHaveLength(1);
      expect(sample(text, 'tokenbudget_tokens_committed_total', { scope: 'user', model: 'claude-3-5-sonnet' })).toBeGreaterThan(0);
      for (const model of names) expect(text).not.toContain(model);
    } finally {
      await big.close();
    }
  });

  it("counts an upstream's error answers apart from the gateway's own refusals", async () => {
    const fake = await new FakeProvider().start();
    const proxied = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-server-key-the-provider-refuses' },
      { keys: testKeys('carol'), log: { level: 'silent' } },
    );
    try {
      for (const status of [401, 429]) {
        fake.knobDefaults = { 'x-fake-status': String(status) };
        // the provider's 401 (the server's key refused) is answered 502 upstream_auth_failed
        expect((await post(`${proxied.url}/v1/chat/completions`, chat(10), { authorization: 'Bearer sk-carol' })).status).toBe(
          status === 401 ? 502 : status,
        );
      }
      const text = await scrape(proxied.url);
      // the caller's key was good: a 401 of the provider (the server's key) is not a refused caller
      expect(sample(text, 'tokenbudget_rejections_total', { reason: 'unauthorized' })).toBe(0);
      expect(sample(text, 'tokenbudget_rejections_total', { reason: 'too_many_requests' })).toBe(0);
      expect(sample(text, 'tokenbudget_rejections_total', { reason: 'upstream_unauthorized' })).toBe(1);
      expect(sample(text, 'tokenbudget_rejections_total', { reason: 'upstream_too_many_requests' })).toBe(1);
    } finally {
      await proxied.close();
      await fake.close();
    }
  });

  it('counts a streamed call once per scope, with the usage its stream reported', async () => {
    const committed = (text: string, scope: string) => sample(text, 'tokenbudget_tokens_committed_total', { scope, model: 'gpt-4o' });
    const before = await scrape(t.url);
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bob },
      body: JSON.stringify({ ...chat(30, 'gpt-4o'), stream: true }),
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    const usage = events
      .map((e) => (e.data.startsWith('{') ? (JSON.parse(e.data) as { usage?: { total_tokens: number } }).usage : undefined))
      .find(Boolean);
    expect(usage!.total_tokens).toBeGreaterThan(0);
    const deltas = async () => {
      const after = await scrape(t.url);
      return ['user', 'global', 'feature'].map((scope) => committed(after, scope) - committed(before, scope));
    };
    await eventually(async () => (await deltas()).every((d) => d > 0), 5_000); // committed when the stream ends
    expect(await deltas()).toEqual([usage!.total_tokens, usage!.total_tokens, usage!.total_tokens]);
  });

  it('is served without an API key, as Prometheus text', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect((await get(`${t.url}/v1/budget`)).status).toBe(401);
  });
});

describe.each(['open', 'closed'] as const)("gateway /metrics when Redis is unreachable (failMode '%s')", (failMode) => {
  it(
    failMode === 'open' ? 'admits and counts the failed storage calls by operation' : 'counts the 503 of the tier rate store by its reason',
    async () => {
      const redis = new Redis({
        port: await freePort(),
        host: '127.0.0.1',
        enableOfflineQueue: false,
        retryStrategy: () => null,
        commandTimeout: 1_000,
      });
      redis.on('error', () => undefined);
      const budget = {
        failMode,
        storage: new RedisAdapter(redis),
        tiers: GATEWAY_TIERS,
        budgets: [{ scope: 'user' as const, tokens: 1_000 }],
      };
      const t = await startApp('express', { imports: [AppModule.register({ budget })] });
      try {
        const res = await post(`${t.url}/v1/chat/completions`, chat(10), alice);
        const text = await scrape(t.url);
        if (failMode === 'open') {
          // the tier rate and the budget both fail open; the budget's reservation and nothing else reached storage
          expect(res.status).toBe(200);
          expect(sample(text, 'tokenbudget_storage_errors_total', { operation: 'reserve' })).toBe(1);
          expect(sample(text, 'tokenbudget_reservation_seconds_count')).toBe(0);
          expect(sample(text, 'tokenbudget_commit_seconds_count')).toBe(0);
        } else {
          expect(res.status).toBe(503);
          expect(res.body).toMatchObject({ error: { type: 'server_error', code: 'rate_storage_unavailable' } });
          expect(sample(text, 'tokenbudget_rejections_total', { reason: 'rate_storage_unavailable' })).toBe(1);
        }
      } finally {
        await t.close();
        if (redis.status !== 'end') redis.disconnect();
      }
    },
  );
});
