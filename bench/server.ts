import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { BudgetService, TierThrottlerStorage } from 'nestjs-token-budget';
import { BenchTargets, benchAppModule } from './apps';
import type { ChildMessage, ParentMessage } from './messages';
import { BENCH_TENANT, BENCH_USER, IMPORTS_MODULE, isVariantId, keyPrefix, TIER_LIMITED, VariantId } from './variants';

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function usage(app: INestApplication, variant: VariantId): Promise<ChildMessage> {
  if (!IMPORTS_MODULE[variant]) return { type: 'usage', budgets: null };
  const budgets = await app.get(BudgetService).getUsage({ user: BENCH_USER, tenant: BENCH_TENANT });
  return {
    type: 'usage',
    budgets: budgets.map((b) => ({ scope: b.scope, used: b.used, reserved: b.reserved })),
    ...(TIER_LIMITED[variant] ? { rateHits: await rateHits(app, variant) } : {}),
  };
}

/** Requests counted in the bench user's current tier window (a hit with limit 0 reads without counting). */
async function rateHits(app: INestApplication, variant: VariantId): Promise<number> {
  const windows = app.get(TierThrottlerStorage).windows;
  const hit = await windows.hit({
    key: `${keyPrefix(variant)}:rate:{user:${BENCH_USER}}`,
    windowMs: 60_000,
    limit: 0,
    burst: 0,
    now: Date.now(),
  });
  return hit.hits;
}

async function serve(variant: VariantId, targets: BenchTargets): Promise<void> {
  const app = await NestFactory.create(benchAppModule(variant, targets), new ExpressAdapter(), { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;

  process.on('message', (message: ParentMessage) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system });
    } else if (message === 'usage') {
      usage(app, variant).then(send, (error: unknown) => send({ type: 'failed', message: `usage: ${String(error)}` }));
    } else if (message === 'stop') {
      app
        .close()
        .catch((error: unknown) => console.error(`[server ${variant}] close failed: ${String(error)}`))
        .finally(() => process.exit(0));
    }
  });
  send({ type: 'ready', port });
}

process.on('disconnect', () => process.exit(0));

const [variant, targets] = process.argv.slice(2);
if (!isVariantId(variant) || !process.send) {
  console.error('usage: forked by bench/overhead.js with a variant id and a JSON of the Redis and upstream URLs');
  process.exit(2);
}
serve(variant, JSON.parse(targets ?? '{}') as BenchTargets).catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
