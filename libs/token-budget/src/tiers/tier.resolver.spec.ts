import { Logger } from '@nestjs/common';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { TierOptions } from './tier-options.interface';
import { TierResolver } from './tier.resolver';

describe('TierResolver', () => {
  let now = 0;
  const definitions = { free: { limit: 5 }, pro: { limit: 50 } };
  const make = (tiers: Partial<TierOptions>) =>
    new TierResolver({ clock: () => now, tiers: { definitions, default: 'free', ...tiers } } as TokenBudgetModuleOptions);
  let warn: jest.SpyInstance;

  beforeEach(() => {
    now = 0;
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('takes assignments over resolve, and the default tier for everyone else', async () => {
    const resolver = make({ assignments: { a: 'pro' }, resolve: () => 'free' });
    expect((await resolver.resolve('a')).name).toBe('pro');
    expect((await resolver.resolve('b')).name).toBe('free');
    expect(make({}).resolve('c')).toMatchObject({ name: 'free', limit: 5, ttlMs: 60_000, burst: 0 });
  });

  it('asks resolve once per user per cacheTtlMs, with one lookup in flight', async () => {
    const resolve = jest.fn(async () => 'pro');
    const resolver = make({ resolve, cacheTtlMs: 1_000 });
    const [first, second] = await Promise.all([resolver.resolve('u'), resolver.resolve('u')]);
    expect([first.name, second.name]).toEqual(['pro', 'pro']);
    expect(resolve).toHaveBeenCalledTimes(1);
    now = 999;
    await resolver.resolve('u');
    expect(resolve).toHaveBeenCalledTimes(1);
    now = 1_000;
    await resolver.resolve('u');
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('asks resolve again after forget(userId)', async () => {
    let plan = 'free';
    const resolver = make({ resolve: () => plan, cacheTtlMs: 60_000 });
    expect((await resolver.resolve('u')).name).toBe('free');
    plan = 'pro';
    expect((await resolver.resolve('u')).name).toBe('free');
    resolver.forget('u');
    expect((await resolver.resolve('u')).name).toBe('pro');
  });

  it('serves the last known tier when resolve fails, and the default tier (logged) when it never answered', async () => {
    let fail = false;
    const resolver = make({
      resolve: async () => {
        if (fail) throw new Error('billing down');
        return 'pro';
      },
      cacheTtlMs: 1_000,
    });
    expect((await resolver.resolve('known')).name).toBe('pro');
    fail = true;
    now = 5_000;
    expect((await resolver.resolve('known')).name).toBe('pro');
    expect((await resolver.resolve('stranger')).name).toBe('free');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("using its last known tier 'pro'"));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("using the default tier 'free'"));
    fail = false;
    now = 6_000;
    expect((await resolver.resolve('stranger')).name).toBe('pro');
  });

  it('treats an unknown tier name from resolve as the last known (or default) tier, logged', async () => {
    const resolver = make({ resolve: () => 'gold' });
    expect((await resolver.resolve('u')).name).toBe('free');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("unknown tier 'gold'"));
  });
});
