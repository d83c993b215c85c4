import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BudgetExceededException, BudgetService, RedisAdapter } from 'nestjs-token-budget';
import { eventually } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { redisUrl, testRedis, uniquePrefix } from './fixtures/storages';
import { BUILT_LIBRARY, ensureLibraryBuilt } from './setup/built-library';

const LEASE_MS = 2_000;
const CHILD = join(__dirname, 'fixtures/children/reserve-then-hang.js');
const KEEPING_CHILD = join(__dirname, 'fixtures/children/keep-alive-then-hang.js');

beforeAll(() => ensureLibraryBuilt(), 120_000);

describe('an instance killed between reserve and commit', () => {
  it('keeps its hold until the lease ends, then gives it back; the counters hold exactly what was committed', async () => {
    const keyPrefix = uniquePrefix();
    const redis = testRedis();
    const env = await budgetService({
      storage: new RedisAdapter(redis),
      keyPrefix,
      leaseMs: LEASE_MS,
      budgets: [
        { scope: 'user', period: 'day', tokens: 100 },
        { scope: 'global', period: 'day', tokens: 1_000 },
      ],
    });
    const child = spawn(process.execPath, [CHILD, BUILT_LIBRARY, redisUrl(), keyPrefix, String(LEASE_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = once(child, 'exit');
    try {
      const [line] = (await Promise.race([
        once(createInterface({ input: child.stdout }), 'line'),
        exited.then(() => [`{"error": ${JSON.stringify(stderr)}}`]),
      ])) as string[];
      const { reservedBefore, reservedAfter, error } = JSON.parse(line);
      expect(error).toBeUndefined();
      const usage = (budgets: BudgetService) => budgets.getUsage('victim');

      // the hold is there, on both counters, and it refuses what does not fit beside it
      expect((await usage(env.budgets)).map((u) => [u.scope, u.used, u.reserved])).toEqual([
        ['user', 60, 25],
        ['global', 60, 25],
      ]);
      await expect(env.budgets.reserve('victim', 20)).rejects.toBeInstanceOf(BudgetExceededException);

      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      expect(killedAt).toBeLessThan(reservedBefore + LEASE_MS); // killed while the lease still runs...
      expect((await usage(env.budgets))[0]).toMatchObject({ used: 60, reserved: 25 }); // ...so the dead instance's hold is still counted

      // it goes when its lease ends, not before
      let freedAt = 0;
      await eventually(async () => {
        const [user, global] = await usage(env.budgets);
        expect([user.reserved, global.reserved]).toEqual(user.reserved ? [25, 25] : [0, 0]);
        freedAt = Date.now();
        return user.reserved === 0;
      }, LEASE_MS + 2_000);
      console.log(`the dead instance's hold was given back ${freedAt - reservedBefore} ms after it was taken (lease ${LEASE_MS} ms)`);
      expect(freedAt).toBeGreaterThanOrEqual(reservedBefore + LEASE_MS);
      expect(freedAt).toBeLessThan(reservedAfter + LEASE_MS + 1_000);

      expect((await usage(env.budgets)).map((u) => [u.used, u.reserved, u.requests])).toEqual([
        [60, 0, 2],
        [60, 0, 2],
      ]);
      const next = await env.budgets.reserve('victim', 40); // the whole rest of the budget is free again
      await next.commit(40);
      expect((await usage(env.budgets))[0]).toMatchObject({ used: 100, reserved: 0, remaining: 0 });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await env.close();
      await redis.quit();
    }
  });

  it('a live instance renews its hold across many leases; killed, its hold lapses within one lease', async () => {
    const keyPrefix = uniquePrefix();
    const redis = testRedis();
    const env = await budgetService({
      storage: new RedisAdapter(redis),
      keyPrefix,
      leaseMs: LEASE_MS,
      budgets: [{ scope: 'user', period: 'day', tokens: 100 }],
    });
    const child = spawn(process.execPath, [KEEPING_CHILD, BUILT_LIBRARY, redisUrl(), keyPrefix, String(LEASE_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = once(child, 'exit');
    try {
      const [line] = (await Promise.race([
        once(createInterface({ input: child.stdout }), 'line'),
        exited.then(() => [`{"error": ${JSON.stringify(stderr)}}`]),
      ])) as string[];
      const { reservedBefore, error } = JSON.parse(line);
      expect(error).toBeUndefined();
      // alive: held for three leases and more, and what does not fit beside it is refused
      while (Date.now() < reservedBefore + 3 * LEASE_MS) {
        expect((await env.budgets.getUsage('long-call'))[0]).toMatchObject({ used: 0, reserved: 70 });
        await expect(env.budgets.reserve('long-call', 31)).rejects.toBeInstanceOf(BudgetExceededException);
        await new Promise((resolve) => setTimeout(resolve, 100)); // pacing of the probe
      }
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      // dead: nobody renews it, so it goes within one lease of the kill
      await eventually(async () => (await env.budgets.getUsage('long-call'))[0].reserved === 0, LEASE_MS + 2_000);
      const freedAfter = Date.now() - killedAt;
      console.log(
        `a renewed hold outlived ${Math.round((killedAt - reservedBefore) / LEASE_MS)} leases; killed, it lapsed ${freedAfter} ms later (lease ${LEASE_MS} ms)`,
      );
      expect(freedAfter).toBeLessThanOrEqual(LEASE_MS + 500);
      await (await env.budgets.reserve('long-call', 100)).commit(100);
      expect((await env.budgets.getUsage('long-call'))[0]).toMatchObject({ used: 100, reserved: 0 });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await env.close();
      await redis.quit();
    }
  });
});
