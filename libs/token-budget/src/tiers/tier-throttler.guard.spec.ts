import { ExecutionContext, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { BudgetStorageUnavailableException } from '../budget-storage-unavailable.exception';
import { MemoryAdapter } from '../storage/memory.adapter';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import { TierThrottlerGuard } from './tier-throttler.guard';
import { TierThrottlerStorage } from './tier-throttler.storage';
import { TierResolver } from './tier.resolver';

const NOW = Date.parse('2026-11-23T10:00:00Z');

class Handlers {
  ping(): void {}
}

function contextOf(req: Record<string, unknown>): ExecutionContext {
  const res = { header: () => undefined };
  return {
    getHandler: () => Handlers.prototype.ping,
    getClass: () => Handlers,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
}

async function guardOn(options: TokenBudgetModuleOptions, wrap: (inner: TierThrottlerStorage) => TierThrottlerStorage) {
  const inner = new TierThrottlerStorage(new MemoryAdapter(), options);
  const guard = new TierThrottlerGuard(options, new TierResolver(options), wrap(inner), new Reflector());
  await guard.onModuleInit();
  return guard;
}

/** What a metrics decorator does to a storage: the same methods on another object (no TierThrottlerStorage prototype). */
const wrapped = (inner: TierThrottlerStorage) =>
  ({
    increment: (...args: Parameters<TierThrottlerStorage['increment']>) => inner.increment(...args),
    hit: (...args: Parameters<TierThrottlerStorage['hit']>) => inner.hit(...args),
    now: () => inner.now(),
  }) as unknown as TierThrottlerStorage;

describe('TierThrottlerGuard', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  const options: TokenBudgetModuleOptions = {
    clock: () => NOW,
    tiers: { definitions: { free: { limit: 2, burst: 1, ttl: 60_000 } }, default: 'free' },
  };

  it('counts burst hits through a wrapped rate storage (found by its hit method, not its class)', async () => {
    const guard = await guardOn(options, wrapped);
    const results: unknown[] = [];
    for (let i = 0; i < 4; i++)
      results.push(await guard.canActivate(contextOf({ user: { id: 'u1' }, headers: {} })).catch((error: unknown) => error));
    // limit 2 plus a burst of 1: three admitted, the fourth refused (plain increment knows no burst: it would refuse the third)
    expect(results.slice(0, 3)).toEqual([true, true, true]);
    expect(results[3]).toMatchObject({ status: 429 });
    expect((results[3] as { getResponse(): { resetAt: string } }).getResponse().resetAt).toBe(new Date(NOW + 60_000).toISOString());
  });

  it('answers an over-long user id with 400, and storage down with the rate 503', async () => {
    const guard = await guardOn({ ...options, maxIdLength: 4 }, wrapped);
    await expect(guard.canActivate(contextOf({ user: { id: 'u'.repeat(5) }, headers: {} }))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^Invalid user id: it is 5 characters long, more than maxIdLength \(4\)/),
    });
    const down = await guardOn(
      options,
      (inner) => ({ ...wrapped(inner), hit: () => Promise.reject(new Error('connection refused')) }) as unknown as TierThrottlerStorage,
    );
    const refused = await down.canActivate(contextOf({ user: { id: 'u1' }, headers: {} })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetStorageUnavailableException);
    expect((refused as BudgetStorageUnavailableException).getResponse()).toEqual({
      statusCode: 503,
      error: 'rate_storage_unavailable',
      message: 'Request rates cannot be checked right now; try again shortly.',
    });
  });
});
