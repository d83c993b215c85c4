import { TierOptions } from 'nestjs-token-budget';
import { PLATFORMS, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';
import { makeStorage, uniquePrefix } from './fixtures/storages';
import { TierTestController } from './fixtures/tier-test.controller';

/** GET that gives up after `ms` (a hung request fails the test instead of the suite's timeout). */
async function ping(url: string, user: string, ms = 3_000) {
  const started = performance.now();
  const response = await fetch(`${url}/tier/ping`, { headers: { 'x-user': user }, signal: AbortSignal.timeout(ms) });
  await response.text();
  return { status: response.status, limit: response.headers.get('x-ratelimit-limit'), elapsedMs: performance.now() - started };
}

describe.each(PLATFORMS)('a tier resolver that does not answer (%s)', (platform) => {
  const clock = new TestClock(Date.parse('2026-11-23T14:00:00.000Z'));
  const billing = new Map<string, string>([['known', 'pro']]);
  let hang = false;
  let calls = 0;
  let app: TestApp;
  let store: ReturnType<typeof makeStorage>;
  const tiers: TierOptions = {
    definitions: { free: { limit: 5, ttl: 60_000 }, pro: { limit: 50, ttl: 60_000 } },
    default: 'free',
    resolve: (userId) => {
      calls++;
      return hang ? new Promise<string>(() => undefined) : Promise.resolve(billing.get(userId));
    },
    cacheTtlMs: 5_000,
    resolveTimeoutMs: 300,
  };

  beforeAll(async () => {
    store = makeStorage('redis', 'app');
    app = await startBudgetApp(platform, { storage: store.storage, keyPrefix: uniquePrefix(), clock: clock.read, tiers }, [
      TierTestController,
    ]);
  });

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('serves the last known tier after resolveTimeoutMs, not before, and the default tier to a user it never placed', async () => {
    expect(await ping(app.url, 'known')).toMatchObject({ status: 200, limit: '50' });
    hang = true;
    clock.advance(5_001);
    const stale = await ping(app.url, 'known');
    expect(stale).toMatchObject({ status: 200, limit: '50' });
    expect(stale.elapsedMs).toBeGreaterThanOrEqual(290);
    const fresh = await ping(app.url, 'newcomer');
    expect(fresh).toMatchObject({ status: 200, limit: '5' });
    // the fallback is kept for cacheTtlMs: no new lookup and no wait meanwhile
    const before = calls;
    const again = await ping(app.url, 'newcomer');
    expect(again).toMatchObject({ status: 200, limit: '5' });
    expect(again.elapsedMs).toBeLessThan(250);
    expect(calls).toBe(before);
    // asked again after cacheTtlMs; a lookup still hung then is not waited on without bound
    clock.advance(5_001);
    expect(await ping(app.url, 'known')).toMatchObject({ status: 200, limit: '50' });
    expect(calls).toBe(before + 1);
    hang = false;
    billing.set('newcomer', 'pro');
    clock.advance(5_001);
    expect(await ping(app.url, 'newcomer')).toMatchObject({ status: 200, limit: '50' });
  });
});
