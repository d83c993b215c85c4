import { Controller, Headers, Inject, Post, Sse, UseGuards } from '@nestjs/common';
import type Redis from 'ioredis';
import { BudgetService, RedisAdapter, TokenBudget, TokenBudgetGuard, TokenBudgetModule } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { eventually, PLATFORMS, startApp, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { readSse } from './fixtures/sse-client';
import { testRedis, uniquePrefix } from './fixtures/storages';

const LEASE_MS = 2_000;
const UPSTREAM = Symbol('UPSTREAM');
/** A stream that flows for as long as any test runs: a chunk every 40 ms. */
const FLOWING = { 'x-fake-chunks': '100000', 'x-fake-delay-ms': '40' };
const ESTIMATE = { inputTokens: 50, outputTokens: 250 };

@Controller()
@UseGuards(TokenBudgetGuard)
class LiveController {
  private readonly openai: OpenAI;
  constructor(@Inject(UPSTREAM) upstream: string) {
    this.openai = new OpenAI({ apiKey: 'test', baseURL: `${upstream}/v1`, maxRetries: 0 });
  }

  private stream(headers: Record<string, string>) {
    const knobs = Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('x-fake-')));
    return this.openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Go on' }], stream: true },
      { headers: knobs },
    );
  }

  @Post('live')
  @TokenBudget({ feature: 'live', estimate: ESTIMATE })
  live(@Headers() headers: Record<string, string>) {
    return this.stream(headers);
  }

  @Post('bounded')
  @TokenBudget({ feature: 'bounded', estimate: ESTIMATE, maxCallDurationMs: 1_500 })
  bounded(@Headers() headers: Record<string, string>) {
    return this.stream(headers);
  }

  @Sse('bounded-sse')
  @TokenBudget({ feature: 'bounded-sse', estimate: ESTIMATE, maxCallDurationMs: 1_500 })
  boundedSse(@Headers() headers: Record<string, string>) {
    return this.stream(headers);
  }

  /** A handler whose upstream never answers. */
  @Post('hangs')
  @TokenBudget({ feature: 'hangs', estimate: ESTIMATE, maxCallDurationMs: 1_000 })
  hangs() {
    return new Promise(() => undefined);
  }
}

describe.each(PLATFORMS)(`holds of live calls on %s (lease ${LEASE_MS} ms)`, (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  let redis: Redis;
  let budgets: BudgetService;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    redis = testRedis();
    t = await startApp(platform, {
      imports: [
        TokenBudgetModule.forRoot({
          storage: new RedisAdapter(redis),
          keyPrefix: uniquePrefix(),
          leaseMs: LEASE_MS,
          extractUserId: (req) => req.headers['x-user'],
          budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }],
        }),
      ],
      controllers: [LiveController],
      providers: [{ provide: UPSTREAM, useValue: upstream.url }],
    });
    budgets = t.app.get(BudgetService);
  });
  afterAll(async () => {
    t?.app.getHttpServer().closeAllConnections();
    await t?.close();
    await upstream.close();
    await redis.quit();
  });

  const open = (path: string, user: string, signal?: AbortSignal) =>
    path.endsWith('-sse')
      ? fetch(`${t.url}/${path}`, { headers: { 'x-user': user, ...FLOWING }, signal })
      : fetch(`${t.url}/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user': user, ...FLOWING },
          body: '{}',
          signal,
        });

  it('never-ending streams keep their holds across many lease periods; nothing past the budget is admitted meanwhile', async () => {
    const user = `${platform}-live`;
    const aborts = Array.from({ length: 6 }, () => new AbortController());
    // six at once on a budget that fits three holds of 300
    const responses = await Promise.all(aborts.map((abort) => open('live', user, abort.signal)));
    const admitted = responses.filter((r) => r.status === 201 || r.status === 200);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429, 429].map((s) => (s === 200 ? admitted[0].status : s)));
    const lastChunkAt: number[] = [];
    const reading = admitted.map((response, i) =>
      readSse(response, () => {
        lastChunkAt[i] = Date.now();
        return true;
      }),
    );
    const start = Date.now();
    let refusedMeanwhile = 0;
    // for four lease periods: the three holds stay, every other call is refused
    while (Date.now() < start + 4 * LEASE_MS) {
      expect((await budgets.getUsage(user))[0]).toMatchObject({ reserved: 900, used: 0 });
      const extra = await open('live', user);
      expect(extra.status).toBe(429);
      await extra.text();
      refusedMeanwhile += 1;
      await new Promise((resolve) => setTimeout(resolve, 150)); // pacing of the probe, not a wait for a result
    }
    // the streams were flowing the whole time
    for (const at of lastChunkAt) expect(at).toBeGreaterThan(start + 3.5 * LEASE_MS);
    console.log(
      `${platform}: 3 streams held 900 of 1000 for ${Date.now() - start} ms (lease ${LEASE_MS} ms); ${refusedMeanwhile} calls refused meanwhile`,
    );
    aborts.forEach((abort) => abort.abort());
    await Promise.all(reading);
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 10_000);
    const [usage] = await budgets.getUsage(user);
    // each was charged what it streamed, at least its prompt, and the budget was never passed
    expect(usage.requests).toBe(3);
    expect(usage.used).toBeGreaterThan(3 * ESTIMATE.inputTokens);
    expect(usage.used).toBeLessThanOrEqual(1_000);
    expect(budgets.settlement.kept).toBe(0);
  });

  it.each(['bounded', 'bounded-sse'])(
    '%s: a stream past maxCallDurationMs ends with call_duration_exceeded, charged what it streamed',
    async (path) => {
      const user = `${platform}-${path}`;
      const startedAt = Date.now();
      const response = await open(path, user);
      expect(response.status).toBeLessThan(300);
      const events = await readSse(response);
      const endedAt = Date.now();
      const last = events[events.length - 1];
      expect(last.event ?? JSON.parse(last.data).type).toBe('call_duration_exceeded');
      expect(JSON.parse(last.data)).toMatchObject({ error: 'call_duration_exceeded' });
      expect(endedAt - startedAt).toBeGreaterThanOrEqual(1_500);
      expect(endedAt - startedAt).toBeLessThan(1_500 + 5_000);
      const streamedChunks = events.length - 1;
      expect(streamedChunks).toBeGreaterThan(3);
      await eventually(async () => (await budgets.getUsage(user))[0].requests === 1, 5_000);
      const [usage] = await budgets.getUsage(user);
      expect(usage.reserved).toBe(0);
      // the prompt's estimate plus the streamed output (one token per chunk word at least), under the hold
      expect(usage.used).toBeGreaterThan(ESTIMATE.inputTokens + streamedChunks / 2);
      expect(usage.used).toBeLessThanOrEqual(ESTIMATE.inputTokens + ESTIMATE.outputTokens);
      await eventually(async () => upstream.openStreams === 0, 5_000);
    },
  );

  it('a handler still running past maxCallDurationMs is answered 504 and charged its estimate', async () => {
    const user = `${platform}-hangs`;
    const startedAt = Date.now();
    const response = await open('hangs', user);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: 'call_duration_exceeded' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    await eventually(async () => (await budgets.getUsage(user))[0].requests === 1, 5_000);
    expect((await budgets.getUsage(user))[0]).toMatchObject({ used: 300, reserved: 0 });
  });
});
