import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BudgetSettlementEvent, BudgetService, RedisAdapter, Reservation } from 'nestjs-token-budget';
import { eventually } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { uniquePrefix } from './fixtures/storages';
import { RedisServerHandle, startRedisServer } from './setup/redis-server';

const CALLS = 60;
const USERS = 6;
const userOf = (i: number) => `u${i % USERS}`;
/** What call i uses: different for every call, below its hold of 500. */
const usageOf = (i: number) => 100 + i * 3;

/** Sum of what the calls of each user were told was committed, and how many. */
function expected(calls: number[]): Map<string, { used: number; requests: number }> {
  const out = new Map<string, { used: number; requests: number }>();
  for (const i of calls) {
    const e = out.get(userOf(i)) ?? { used: 0, requests: 0 };
    e.used += usageOf(i);
    e.requests += 1;
    out.set(userOf(i), e);
  }
  return out;
}

async function countersOf(budgets: BudgetService): Promise<Map<string, { used: number; requests: number; reserved: number }>> {
  const out = new Map<string, { used: number; requests: number; reserved: number }>();
  for (let u = 0; u < USERS; u++) {
    const [user] = await budgets.getUsage(`u${u}`);
    out.set(`u${u}`, { used: user.used, requests: user.requests, reserved: user.reserved });
  }
  return out;
}

describe('commits while Redis is away (stopped, frozen) are kept and retried until counted exactly once', () => {
  let dir: string;
  let server: RedisServerHandle;
  let args: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-commit-outage-'));
    // persisted, so a restart keeps what was committed before the stop
    args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    server = await startRedisServer(args);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(flushTimeoutMs = 5_000, keyPrefix = uniquePrefix()) {
    const storage = new RedisAdapter({
      host: '127.0.0.1',
      port: server.port,
      commandTimeout: 500,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    storage.client.on('error', () => undefined);
    const env = await budgetService({
      storage,
      keyPrefix,
      leaseMs: 600_000,
      settlementRetry: { flushTimeoutMs },
      budgets: [{ scope: 'user', period: 'day', tokens: 1_000_000 }],
    });
    const events: BudgetSettlementEvent[] = [];
    env.budgets.on('settlement').subscribe((event) => events.push(event));
    return { ...env, storage, events, keyPrefix };
  }

  async function reserveAll(budgets: BudgetService): Promise<Reservation[]> {
    return Promise.all(Array.from({ length: CALLS }, (_, i) => budgets.reserve(userOf(i), 500)));
  }

  it(`${CALLS} concurrent commits while redis-server is stopped, then restarted: every call counted once`, async () => {
    const env = await start();
    try {
      const held = await reserveAll(env.budgets);
      // half commit before the stop
      await Promise.all(held.slice(0, CALLS / 2).map((r, i) => r.commit(usageOf(i))));
      server.signal('SIGKILL');
      await server.exited;
      // the other half while Redis is gone: each call is told its usage is counted
      const told = await Promise.all(held.slice(CALLS / 2).map((r, i) => r.commit(usageOf(CALLS / 2 + i))));
      expect(told.map((u) => u.totalTokens)).toEqual(held.slice(CALLS / 2).map((_, i) => usageOf(CALLS / 2 + i)));
      await eventually(async () => env.events.filter((e) => e.action === 'queued').length === CALLS / 2, 10_000);
      expect(env.budgets.pendingSettlements).toBe(CALLS / 2);
      server = await startRedisServer(args, { port: server.port });
      await eventually(async () => env.budgets.pendingSettlements === 0, 20_000);
      expect(env.events.filter((e) => e.action === 'landed')).toHaveLength(CALLS / 2);
      expect(held.every((r) => r.state === 'committed')).toBe(true);
      const want = expected(Array.from({ length: CALLS }, (_, i) => i));
      for (const [user, counter] of await countersOf(env.budgets)) expect(counter).toEqual({ ...want.get(user), reserved: 0 });
    } finally {
      await env.close();
    }
  });

  it(`${CALLS} concurrent commits while redis-server is frozen (their replies time out, they run on thaw, and are retried): counted once`, async () => {
    const env = await start();
    try {
      const held = await reserveAll(env.budgets);
      server.signal('SIGSTOP');
      try {
        // sent, unanswered: the commands wait in the frozen server's socket and run when it thaws
        const told = await Promise.all(held.map((r, i) => r.commit(usageOf(i))));
        expect(told).toHaveLength(CALLS);
        await eventually(async () => env.budgets.pendingSettlements === CALLS, 10_000);
      } finally {
        server.signal('SIGCONT');
      }
      await eventually(async () => env.budgets.pendingSettlements === 0, 20_000);
      const want = expected(Array.from({ length: CALLS }, (_, i) => i));
      for (const [user, counter] of await countersOf(env.budgets)) expect(counter).toEqual({ ...want.get(user), reserved: 0 });
    } finally {
      await env.close();
    }
  });

  it('on shutdown, pending commits are flushed when storage returns within flushTimeoutMs, else logged and dropped with their figures', async () => {
    // storage back within the grace: flushed by close()
    const first = await start(15_000);
    const reservations = await reserveAll(first.budgets);
    server.signal('SIGKILL');
    await server.exited;
    await Promise.all(reservations.map((r, i) => r.commit(usageOf(i))));
    await eventually(async () => first.budgets.pendingSettlements === CALLS, 10_000);
    const closing = first.close();
    server = await startRedisServer(args, { port: server.port });
    await closing;
    expect(first.events.filter((e) => e.action === 'landed')).toHaveLength(CALLS);
    // another instance on the same budgets reads what the first one flushed before it stopped
    const check = await start(5_000, first.keyPrefix);
    try {
      const want = expected(Array.from({ length: CALLS }, (_, i) => i));
      for (const [user, counter] of await countersOf(check.budgets)) expect(counter).toEqual({ ...want.get(user), reserved: 0 });
    } finally {
      await check.close();
    }

    // storage still away when the grace ends: dropped, each logged with its figures
    const second = await start(300);
    const held = await reserveAll(second.budgets);
    server.signal('SIGKILL');
    await server.exited;
    await Promise.all(held.map((r, i) => r.commit(usageOf(i))));
    const startedAt = Date.now();
    await second.close();
    expect(Date.now() - startedAt).toBeLessThan(300 + 3_000);
    const dropped = second.events.filter((e) => e.action === 'dropped');
    expect(dropped).toHaveLength(CALLS);
    expect(dropped.map((e) => e.tokens).sort((a, b) => a - b)).toEqual(Array.from({ length: CALLS }, (_, i) => usageOf(i)));
    server = await startRedisServer(args, { port: server.port });
  });
});
