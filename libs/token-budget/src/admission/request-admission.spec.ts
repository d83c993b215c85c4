import { Logger } from '@nestjs/common';
import { BudgetExceededException } from '../budget-exceeded.exception';
import { BudgetService } from '../budget.service';
import { InvalidSubjectError } from '../invalid-subject.error';
import { routeEstimationOf } from '../estimation/request-estimator';
import { estimateRequestBody } from '../estimation/estimate-request-body';
import type { EstimateInput } from '../estimation/usage-estimate';
import { isPromise } from '../maybe-promise';
import type { RouteBudget } from '../route-budget';
import { MemoryAdapter } from '../storage/memory.adapter';
import type { ReserveRequest } from '../storage/storage-adapter.interface';
import type { TokenBudgetRouteOptions } from '../token-budget-route-options';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { BudgetRequest } from '../budget-request';
import { resolveTier } from '../tiers/resolved-tier';
import { TIER_STATE_KEY } from '../tiers/tier.constants';
import { TierResolver } from '../tiers/tier.resolver';
import { InvalidUsageError } from '../usage/invalid-usage.error';
import { BudgetStorageError } from './budget-storage.error';
import type { AdmissionFigures } from './request-admission';

const NOW = Date.parse('2026-11-23T10:00:00Z');

/** A BudgetService on a MemoryAdapter at a fixed instant, and the route budget the guard would resolve. */
function setUp(options: TokenBudgetModuleOptions, route: TokenBudgetRouteOptions = {}, storage = new MemoryAdapter()) {
  const moduleOptions: TokenBudgetModuleOptions = { clock: () => NOW, ...options };
  const tiers = options.tiers ? new TierResolver(moduleOptions) : undefined;
  const budgets = new BudgetService(moduleOptions, storage, tiers);
  const feature = route.feature ?? 'chat';
  const routeBudget: RouteBudget = {
    feature,
    rules: budgets.registry.rulesFor(feature),
    ...routeEstimationOf(route, moduleOptions),
    usage: undefined,
    skip: false,
    decorated: true,
    deferred: true,
  };
  const figures = (): AdmissionFigures => ({ estimate: 0, usageEstimate: undefined });
  /** Every counter of the module's rules for `user` (and tenant `acme`), as storage holds them now. */
  const held = async (user: string) => {
    const targets = await budgets.targetsFor({ user, tenant: 'acme', feature }, NOW);
    const states = await storage.read(
      targets.map((t) => t.counter),
      NOW,
    );
    return Object.fromEntries(targets.map((t, i) => [`${t.rule.scope}:${t.id}`, { used: states[i].used, reserved: states[i].reserved }]));
  };
  return { budgets, storage, route: routeBudget, figures, held };
}

const chatBody = (maxTokens: number): Record<string, unknown> => ({
  model: 'gpt-4o-mini',
  max_tokens: maxTokens,
  messages: [{ role: 'user', content: 'Say hello' }],
});
const request = (body?: unknown, extra: Record<string, unknown> = {}): BudgetRequest =>
  ({ body, headers: {}, user: { id: 'u1', org: 'acme' }, ...extra }) as BudgetRequest;

describe('RequestAdmission (BudgetService.admit)', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  const rules: TokenBudgetModuleOptions['budgets'] = [
    { scope: 'user', period: 'day', tokens: 1_000 },
    { scope: 'tenant', id: (req) => (req.user as { org?: string } | undefined)?.org, period: 'day', tokens: 150 },
    { scope: 'global', period: 'day', tokens: 10_000 },
  ];

  it('holds the estimate on every counter, synchronously on MemoryAdapter, and gives each scope its default id', () => {
    const { budgets, route, figures } = setUp({
      budgets: [...rules!, { scope: 'feature', period: 'day', tokens: 500 }, { scope: 'key', period: 'day', tokens: 5 }],
    });
    const into = figures();
    const reservation = budgets.admit(route, request(), 'u1', 100, into);
    expect(isPromise(reservation)).toBe(false);
    if (isPromise(reservation)) return;
    // user: the user id; tenant: its own id(req); global: 'all'; feature: the route's feature; key: no id, so not applied
    expect(reservation.counters.map((c) => /\{([^}]*)\}/.exec(c.key)?.[1])).toEqual([
      'user:u1',
      'tenant:acme',
      'global:all',
      'feature:chat',
    ]);
    expect(reservation.held).toBe(100);
    expect(into).toMatchObject({ estimate: 100, usageEstimate: undefined });
    expect(into.maxCallDurationMs).toBeGreaterThan(0);
  });

  it('refuses with BudgetExceededException and leaves nothing held on any counter when one budget cannot take it', async () => {
    const { budgets, route, figures, held } = setUp({ budgets: rules });
    // the tenant budget (the second counter) is the one that refuses: the user counter before it must not keep a hold
    expect(() => budgets.admit(route, request(), 'u1', 151, figures())).toThrow(BudgetExceededException);
    try {
      budgets.admit(route, request(), 'u1', 151, figures());
    } catch (error) {
      expect((error as BudgetExceededException).info).toMatchObject({ scope: 'tenant', reason: 'tenant_token_limit_exceeded', limit: 150 });
    }
    expect(await held('u1')).toEqual({
      'user:u1': { used: 0, reserved: 0 },
      'tenant:acme': { used: 0, reserved: 0 },
      'global:all': { used: 0, reserved: 0 },
    });
    expect(budgets.settlement.kept).toBe(0);
  });

  it('lays the tier limits over the route rules (the tier TierThrottlerGuard resolved, else the resolver)', async () => {
    const tiers = {
      definitions: { free: { limit: 0, budgets: { day: 50 } }, pro: { limit: 0, budgets: { day: 5_000 } } },
      default: 'free',
      assignments: { rich: 'pro' },
    };
    const { budgets, route, figures, held } = setUp({ budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }], tiers });
    // free: 50 tokens a day, not the rule's 1,000
    expect(() => budgets.admit(route, request(), 'u1', 51, figures())).toThrow(
      expect.objectContaining({ info: expect.objectContaining({ limit: 50 }) }),
    );
    expect(await held('u1')).toEqual({ 'user:u1': { used: 0, reserved: 0 } });
    // pro: 5,000, past the rule's own limit
    const reservation = await budgets.admit(route, request(), 'rich', 2_000, figures());
    expect(reservation.summary).toMatchObject({ limit: 5_000, remaining: 3_000 });
    await reservation.release();
    // the tier TierThrottlerGuard left on the request wins over the resolver's answer
    const resolved = { tier: resolveTier('pro', tiers.definitions.pro), tracker: 'user:u1', userId: 'u1' };
    const viaGuard = await budgets.admit(route, request(undefined, { [TIER_STATE_KEY]: resolved }), 'u1', 2_000, figures());
    expect(viaGuard.summary).toMatchObject({ limit: 5_000, remaining: 3_000 });
  });

  it('applies rule id length bounds: a too-long id is an InvalidSubjectError and holds nothing', async () => {
    const { budgets, route, figures, held } = setUp({ budgets: rules, maxIdLength: 8 });
    expect(() => budgets.admit(route, request(), 'u'.repeat(9), 1, figures())).toThrow(InvalidSubjectError);
    expect(await held('u'.repeat(8))).toMatchObject({ 'tenant:acme': { reserved: 0 } });
  });

  it('refuses a malformed estimate with InvalidUsageError before anything is held', async () => {
    const { budgets, route, figures, held } = setUp({ budgets: rules });
    expect(() => budgets.admit(route, request(), 'u1', -1 as EstimateInput, figures())).toThrow(InvalidUsageError);
    expect(await held('u1')).toMatchObject({ 'user:u1': { reserved: 0 }, 'tenant:acme': { reserved: 0 } });
  });

  it('wraps a storage failure in BudgetStorageError (the guard answers 503) with the storage error as cause', () => {
    const storage = new MemoryAdapter();
    const down = new Error('connection refused');
    jest.spyOn(storage, 'reserve').mockImplementation((_request: ReserveRequest) => {
      throw down;
    });
    const { budgets, route, figures } = setUp({ budgets: rules }, {}, storage);
    const into = figures();
    let caught: unknown;
    try {
      budgets.admit(route, request(), 'u1', 10, into);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BudgetStorageError);
    expect((caught as BudgetStorageError).cause).toBe(down);
    // what was to be held is known, for failMode 'open'
    expect(into.estimate).toBe(10);
  });

  it('waits for an estimate that is a Promise', async () => {
    const { budgets, route, figures } = setUp({ budgets: rules });
    const reservation = budgets.admit(route, request(), 'u1', Promise.resolve(40), figures());
    expect(isPromise(reservation)).toBe(true);
    expect((await reservation).held).toBe(40);
  });

  it('capMaxTokens: a body asking for more output than is left is held with what is left, its max_tokens lowered to it', async () => {
    const { budgets, route, figures, held } = setUp({ budgets: [{ scope: 'user', period: 'day', tokens: 300 }] }, { capMaxTokens: true });
    const body = chatBody(1_000);
    const estimate = estimateRequestBody(body, { defaultMaxOutputTokens: route.defaultMaxOutputTokens })!;
    const into = figures();
    const reservation = await budgets.admit(route, request(body), 'u1', estimate, into);
    const output = 300 - estimate.inputTokens;
    expect(reservation.held).toBe(300);
    expect(into.usageEstimate).toMatchObject({ inputTokens: estimate.inputTokens, outputTokens: output });
    expect(into.estimate).toBe(300);
    expect(body.max_tokens).toBe(output);
    expect(await held('u1')).toEqual({ 'user:u1': { used: 0, reserved: 300 } });
    // released and settled as the capped total
    expect(await reservation.commit()).toMatchObject({ totalTokens: 300, estimated: true });
  });

  it('capMaxTokens: when less than the prompt plus minOutputTokens is left, refuses naming the least it needs and holds nothing', async () => {
    const { budgets, route, figures, held } = setUp(
      { budgets: [{ scope: 'user', period: 'day', tokens: 300 }] },
      { capMaxTokens: { minOutputTokens: 200 } },
    );
    await budgets.record('u1', 200);
    const body = chatBody(1_000);
    const estimate = estimateRequestBody(body, { defaultMaxOutputTokens: route.defaultMaxOutputTokens })!;
    let caught: unknown;
    try {
      await budgets.admit(route, request(body), 'u1', estimate, figures());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BudgetExceededException);
    expect((caught as BudgetExceededException).info.requested).toBe(estimate.inputTokens + 200);
    expect(await held('u1')).toEqual({ 'user:u1': { used: 200, reserved: 0 } });
    expect(body.max_tokens).toBe(1_000);
  });

  it('fair holds: a request gets its share of what is left (one read of the room, then one clamped hold)', async () => {
    const storage = new MemoryAdapter();
    const reads = jest.spyOn(storage, 'read');
    const { budgets, route, figures, held } = setUp(
      { budgets: [{ scope: 'user', period: 'day', tokens: 10_000 }] },
      { fairHolds: { share: 0.25, minOutputTokens: 16 } },
      storage,
    );
    const body = chatBody(8_000);
    const estimate = estimateRequestBody(body, { defaultMaxOutputTokens: route.defaultMaxOutputTokens })!;
    reads.mockClear();
    const into = figures();
    const reservation = await budgets.admit(route, request(body), 'u1', estimate, into);
    expect(reads).toHaveBeenCalledTimes(1);
    const share = Math.floor(0.25 * (10_000 - estimate.inputTokens));
    expect(into.usageEstimate?.outputTokens).toBe(share);
    expect(body.max_tokens).toBe(share);
    expect(reservation.held).toBe(estimate.inputTokens + share);
    expect(await held('u1')).toEqual({ 'user:u1': { used: 0, reserved: estimate.inputTokens + share } });
    // the hold bounds what the provider may report: output past the limit sent is clamped
    expect(reservation.bounds).toMatchObject({ outputTokens: share });
  });
});
