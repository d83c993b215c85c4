import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { RedisAdapter } from 'nestjs-token-budget';
import { TestClock } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { uniquePrefix } from './fixtures/storages';
import { RedisServerHandle, startRedisServer } from './setup/redis-server';

const CALLS = 400;
const USERS = 8;
// $0.15 / $0.60 per million tokens: 150 and 600 nano-dollars a token, so every call costs a whole number of nano-dollars
const pricing = { 'aof-model': { input: 0.15, output: 0.6 } };
const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));

describe('Redis restarted from its AOF after SIGKILL', () => {
  let dir: string;
  const servers: RedisServerHandle[] = [];
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'tb-aof-'))));
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loses no committed token nor nano-dollar of ${CALLS} concurrent commits (appendonly yes, appendfsync always)`, async () => {
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    servers.push(await startRedisServer(args));
    const keyPrefix = uniquePrefix();
    const options = {
      keyPrefix,
      clock: clock.read,
      pricing,
      budgets: [
        { scope: 'user' as const, period: 'month' as const, tokens: 10_000_000, costUsd: 1_000 },
        { scope: 'tenant' as const, period: 'month' as const, costUsd: 1_000 },
      ],
    };
    // 400 calls at once through one connection with every write fsynced: a 5 s command timeout as for the other tests' clients
    const storageOf = (server: RedisServerHandle) =>
      new RedisAdapter({ host: '127.0.0.1', port: server.port, commandTimeout: 5_000 }, { timeSource: 'app' });
    const writer = await budgetService({ ...options, storage: storageOf(servers[0]) });
    const expected = { tokens: new Map<string, number>(), calls: new Map<string, number>(), nanos: new Map<string, number>() };
    const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
    try {
      // half through reserve + commit, half through record, all at once
      await Promise.all(
        Array.from({ length: CALLS }, async (_, i) => {
          const user = `u${i % USERS}`;
          const usage = { inputTokens: 100 + i, outputTokens: 10 + (i % 13), model: 'aof-model' };
          add(expected.tokens, user, usage.inputTokens + usage.outputTokens);
          add(expected.calls, user, 1);
          add(expected.nanos, user, usage.inputTokens * 150 + usage.outputTokens * 600);
          const subject = { user, tenant: 'acme' };
          if (i % 2) return void (await writer.budgets.record(subject, usage));
          const reservation = await writer.budgets.reserve(subject, { inputTokens: 200 + i, outputTokens: 40, model: 'aof-model' });
          await reservation.commit(usage);
        }),
      );
    } finally {
      // SIGKILL: no shutdown save, only what the AOF already holds survives
      servers[0].signal('SIGKILL');
      await servers[0].exited;
      await writer.close();
    }

    servers.push(await startRedisServer(args, { port: servers[0].port }));
    const reader = await budgetService({ ...options, storage: storageOf(servers[1]) });
    const raw = new Redis(servers[1].url);
    try {
      const totalTokens = [...expected.tokens.values()].reduce((a, b) => a + b, 0);
      const totalNanos = [...expected.nanos.values()].reduce((a, b) => a + b, 0);
      for (let u = 0; u < USERS; u++) {
        const user = `u${u}`;
        const [userUsage] = await reader.budgets.getUsage({ user, tenant: 'acme' });
        expect(userUsage).toMatchObject({
          used: expected.tokens.get(user),
          reserved: 0,
          requests: expected.calls.get(user),
          costUsd: expected.nanos.get(user)! / 1e9,
        });
      }
      const [, tenant] = await reader.budgets.getUsage({ user: 'u0', tenant: 'acme' });
      expect(tenant).toMatchObject({ used: totalTokens, reserved: 0, requests: CALLS, costUsd: totalNanos / 1e9 });
      // the stored integers themselves: tokens and nano-dollars of the tenant's counter
      // (its lease set beside it remembers the committed ids for a while: not the counter)
      const [tenantKey] = (await raw.keys(`${keyPrefix}:budget:{tenant:acme}:*`)).filter((key) => !key.endsWith(':leases'));
      expect(await raw.hmget(tenantKey, 'used', 'cused', 'reserved', 'creserved', 'n')).toEqual(
        [totalTokens, totalNanos, 0, 0, CALLS].map(String),
      );
    } finally {
      await reader.close();
      await raw.quit();
    }
  });
});
