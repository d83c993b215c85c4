import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BudgetService, RedisAdapter } from 'nestjs-token-budget';
import { CaptureLogger } from './fixtures/capture-logger';
import { get, Platform, PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';
import { LoadOutcome, maxLatency, RequestLoad } from './fixtures/request-load';
import { uniquePrefix } from './fixtures/storages';
import { RedisServerHandle, startRedisServer } from './setup/redis-server';

/** The command timeout of a client RedisAdapter creates from a URL (its default). */
const COMMAND_TIMEOUT_MS = 1_000;
/** What a request may take beyond the command timeout on a 2-core host shared with other work. */
const MARGIN_MS = 1_000;
/**
 * No request hangs: one in flight when Redis went away waits at most the command timeout on its
 * reservation and again on its commit; 3 s more for a host whose cores are shared (a hung request
 * would reach the 10 s give-up of the load).
 */
const HANG_BOUND_MS = 2 * COMMAND_TIMEOUT_MS + 3_000;
const CONCURRENCY = 20;
const LIMIT = 200;
const usage = (tokens: number) => ({ usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens } });

/** The X-TokenBudget-* headers of a response (lower case). */
const budgetHeaders = (headers: Headers | undefined) => [...(headers?.keys() ?? [])].filter((name) => name.startsWith('x-tokenbudget-'));

type Fault = 'killed' | 'frozen';
const CASES = PLATFORMS.flatMap((platform) =>
  (['killed', 'frozen'] as const).flatMap((fault) => (['closed', 'open'] as const).map((failMode) => [platform, fault, failMode] as const)),
);

/** Stops Redis the way `fault` says; resolves once it is down. */
async function stopRedis(server: RedisServerHandle, fault: Fault): Promise<void> {
  if (fault === 'frozen') return server.signal('SIGSTOP');
  server.signal('SIGKILL');
  await server.exited;
}

/** Brings Redis back (thawed, or restarted on its port from its AOF); resolves with the epoch ms it answers again. */
async function restoreRedis(server: RedisServerHandle, fault: Fault, args: string[]): Promise<{ server: RedisServerHandle; upAt: number }> {
  if (fault === 'frozen') {
    server.signal('SIGCONT');
    return { server, upAt: Date.now() };
  }
  const restarted = await startRedisServer(args, { port: server.port });
  return { server: restarted, upAt: restarted.upAt };
}

describe.each(CASES)('%s: Redis %s under load, failMode %s', (platform: Platform, fault: Fault, failMode) => {
  let dir: string;
  let servers: RedisServerHandle[];
  let t: TestApp;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tb-outage-'));
    servers = [];
  });
  afterEach(async () => {
    for (const server of servers) server.signal('SIGCONT');
    await t?.close();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    failMode === 'closed'
      ? 'answers 503 within the command timeout, never hangs, and enforces the intact counters within 1 s of Redis answering again'
      : 'admits every request and logs the outage, never hangs, and enforces the intact counters within 1 s of Redis answering again',
    async () => {
      const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
      servers.push(await startRedisServer(args));
      const logger = new CaptureLogger();
      t = await startBudgetApp(platform, {
        failMode,
        keyPrefix: uniquePrefix(),
        storage: new RedisAdapter(servers[0].url),
        budgets: [{ scope: 'user', period: 'day', tokens: LIMIT }],
      });
      t.app.useLogger(logger);
      const budgets = t.app.get(BudgetService);

      // committed before the outage: 3 x 37 of 200
      for (let i = 0; i < 3; i++) {
        const res = await post(`${t.url}/echo`, { estimate: 37, result: usage(37) }, { 'x-user': 'before' });
        expect(res.status).toBe(200);
        expect(budgetHeaders(res.headers)).toContain('x-tokenbudget-limit'); // an admitted request carries them while Redis answers
      }

      const load = new RequestLoad(CONCURRENCY, (worker, signal) =>
        post(`${t.url}/slow-echo`, { estimate: 1, result: usage(1) }, { 'x-user': `load-${worker}` }, signal),
      );
      let outcomes: LoadOutcome[] = [];
      let downAt = 0;
      let upAt = 0;
      try {
        await load.until((o) => o.filter((r) => r.status === 200).length >= CONCURRENCY);
        await stopRedis(servers[0], fault);
        downAt = Date.now();
        await load.until((o) => o.filter((r) => r.started >= downAt).length >= 2 * CONCURRENCY);
        expect((await get(`${t.url}/health`)).status).toBe(200); // the app still serves during the outage

        const restored = await restoreRedis(servers[0], fault, args);
        if (restored.server !== servers[0]) servers.push(restored.server);
        upAt = restored.upAt;
        // poll with requests until one is decided on the intact counter: 111 used + 100 > 200
        let resumedAt = 0;
        while (!resumedAt) {
          const res = await post(`${t.url}/echo`, { estimate: 100, result: usage(100) }, { 'x-user': 'before' });
          if (res.status === 429) {
            expect(res.body).toMatchObject({ used: 111, limit: LIMIT });
            resumedAt = Date.now();
          } else {
            expect(res.status).toBe(failMode === 'closed' ? 503 : 200);
            expect(Date.now() - upAt).toBeLessThan(5_000);
          }
        }
        console.log(`${platform} ${fault} ${failMode}: enforcement resumed ${resumedAt - upAt} ms after Redis answered`);
        expect(resumedAt - upAt).toBeLessThan(1_000);
        await load.until((o) => o.some((r) => r.started > resumedAt && r.status === 200));
      } finally {
        outcomes = await load.stop();
      }

      // every request settled; those sent while Redis was away were answered within the command timeout
      expect(outcomes.filter((o) => o.status === 0)).toEqual([]);
      const during = outcomes.filter((o) => o.started >= downAt && o.ended <= upAt);
      expect(during.length).toBeGreaterThanOrEqual(2 * CONCURRENCY);
      const slowest = outcomes.reduce((a, b) => (b.ended - b.started > a.ended - a.started ? b : a));
      console.log(
        `${platform} ${fault} ${failMode}: ${outcomes.length} requests, ${during.length} during the outage (max ${maxLatency(during)} ms), ` +
          `max of all ${maxLatency(outcomes)} ms (status ${slowest.status}, sent ${slowest.started - downAt} ms after the fault)`,
      );
      expect(maxLatency(during)).toBeLessThanOrEqual(COMMAND_TIMEOUT_MS + MARGIN_MS);
      expect(maxLatency(outcomes)).toBeLessThanOrEqual(HANG_BOUND_MS);
      expect(new Set(during.map((o) => o.status))).toEqual(new Set([failMode === 'closed' ? 503 : 200]));
      for (const o of outcomes) expect([200, 429, 503]).toContain(o.status);
      if (failMode === 'closed') {
        expect(during.map((o) => o.body)).toContainEqual({
          statusCode: 503,
          error: 'budget_storage_unavailable',
          message: expect.any(String),
        });
        expect(logger.matching("request refused (failMode 'closed')").length).toBeGreaterThanOrEqual(during.length);
      } else {
        expect(logger.matching("request admitted without a reservation (failMode 'open')").length).toBeGreaterThanOrEqual(during.length);
        // admitted without a hold: no budget figures are claimed
        expect(during.flatMap((o) => budgetHeaders(o.headers))).toEqual([]);
      }
      if (fault === 'killed') {
        expect(logger.matching('Redis is unreachable')).toHaveLength(1);
        expect(logger.matching('Redis is reachable again')).toHaveLength(1);
      }

      // usage committed before the outage is intact, and the app still serves
      expect(await budgets.getUsage('before')).toMatchObject([{ used: 111, reserved: 0, requests: 3 }]);
      expect((await get(`${t.url}/health`)).status).toBe(200);
      if (fault === 'frozen') {
        // the holds of requests that timed out while Redis was frozen ran when it thawed; their
        // releases followed them, so nothing stays held until the lease
        const held = async () => (await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => budgets.getUsage(`load-${w}`)))).flat();
        const stuck = (await held()).filter((u) => u.reserved !== 0);
        expect(stuck).toEqual([]);
      }
    },
  );
});
