import { STORAGE_KINDS } from './fixtures/storages';
import { useBudgetService } from './fixtures/service';

/** grant, setLimit, reset and listUsage act on the budgets a user's tier gives them, with the tier's limits. */
describe.each(STORAGE_KINDS)('admin calls for users with a tier (%s)', (kind) => {
  const env = useBudgetService(kind, {
    budgets: [{ scope: 'user', period: 'month', tokens: 1_000 }],
    tiers: {
      definitions: { free: { limit: 5, budgets: { month: 100 }, tokensPerMinute: 80 }, pro: { limit: 50 } },
      default: 'free',
      assignments: { vip: 'pro' },
    },
  });

  it("grant answers the tier's limit, not the module rule's", async () => {
    const usage = await env.budgets.grant('someone', { tokens: 50 }, { rule: 'user:month' });
    expect(usage).toEqual([expect.objectContaining({ name: 'user:month', limit: 100, granted: 50, effectiveLimit: 150 })]);
    expect((await env.budgets.getUsage('someone')).find((u) => u.name === 'user:month')).toMatchObject({ limit: 100, effectiveLimit: 150 });
    expect((await env.budgets.grant('vip', { tokens: 10 }))[0]).toMatchObject({ limit: 1_000, effectiveLimit: 1_010 });
  });

  it("reaches the tier's per-minute budget: grant and setLimit by its name, reset clears it", async () => {
    await env.budgets.record('someone', 80);
    expect((await env.budgets.check('someone', 1)).allowed).toBe(false);
    const [perMinute] = await env.budgets.grant('someone', { tokens: 20 }, { rule: 'user:tokensPerMinute' });
    expect(perMinute).toMatchObject({ name: 'user:tokensPerMinute', limit: 80, granted: 20, used: 80 });
    expect((await env.budgets.check('someone', 20)).allowed).toBe(true);
    await env.budgets.reset('someone');
    const after = await env.budgets.getUsage('someone');
    expect(after.map((u) => [u.name, u.used, u.granted])).toEqual([
      ['user:month', 0, 0],
      ['user:tokensPerMinute', 0, 0],
    ]);
    await env.budgets.setLimit('someone', { tokens: 500 }, { rule: 'user:tokensPerMinute' });
    expect((await env.budgets.getUsage('someone')).find((u) => u.name === 'user:tokensPerMinute')).toMatchObject({ limit: 500 });
  });

  it("a setLimit override wins over the tier's limit", async () => {
    await env.budgets.setLimit('someone', { tokens: 5_000 }, { rule: 'user:month' });
    expect((await env.budgets.getUsage('someone')).find((u) => u.name === 'user:month')).toMatchObject({ limit: 5_000 });
    const reservation = await env.budgets.reserve('someone', 70);
    await reservation.commit(70);
    await env.budgets.setLimit('someone', null, { rule: 'user:month' });
    expect((await env.budgets.getUsage('someone')).find((u) => u.name === 'user:month')).toMatchObject({ limit: 100, used: 70 });
  });

  it("listUsage shows each user's limit under their tier", async () => {
    await env.budgets.record('someone', 30);
    await env.budgets.record('vip', 20);
    const ranked = await env.budgets.listUsage({ scope: 'user', period: 'month' });
    expect(ranked.map((u) => [u.id, u.used, u.limit])).toEqual([
      ['someone', 30, 100],
      ['vip', 20, 1_000],
    ]);
  });
});
