import fc from 'fast-check';
import { BudgetExceededException, BudgetService, InvalidUsageError, nanosToUsd, Reservation, usdToNanos } from 'nestjs-token-budget';
import { BudgetModel, counterKey, FUZZ_MODEL, FUZZ_PRICING, ModelEstimate, ModelUsage } from './fixtures/budget-model';
import { TestClock } from './fixtures/create-app';
import { fuzzParams } from './fixtures/fuzz';
import { budgetService } from './fixtures/service';
import { makeStorage, STORAGE_KINDS, StorageKind, uniquePrefix } from './fixtures/storages';

const LEASE_MS = 60_000;
const START = Date.parse('2026-11-23T10:00:00Z');
const RUNS: Record<StorageKind, number> = { memory: 100, redis: 50, cluster: 30 };
const USERS = ['a', 'b'];
const TENANTS = ['t1', 't2'];

interface Real {
  budgets: BudgetService;
  clock: TestClock;
  /** Reservations in the order they were made, `undefined` where the reserve was refused. */
  reservations: (Reservation | undefined)[];
}

type Cmd = fc.AsyncCommand<BudgetModel, Real>;

const subjectOf = (user: string, tenant: string): [string, string][] => [
  ['user', user],
  ['tenant', tenant],
  ['global', 'all'],
];

/** Compares every counter the storage holds with the model: equal, and never negative or NaN. */
async function expectCountersMatch(model: BudgetModel, real: Real): Promise<void> {
  for (const [user, tenant] of [
    ['a', 't1'],
    ['b', 't2'],
  ]) {
    const report = await real.budgets.getUsage({ user, tenant });
    for (const usage of report) {
      for (const field of ['used', 'reserved', 'costUsd', 'costReservedUsd', 'requests', 'remaining', 'costRemainingUsd'] as const) {
        expect(Number.isNaN(usage[field])).toBe(false);
        expect(usage[field]).toBeGreaterThanOrEqual(0);
      }
      const id = usage.scope === 'global' ? 'all' : usage.id;
      const counter = model.counter(usage.scope, id);
      const held = model.held(counterKey(usage.scope, id));
      expect({
        scope: usage.scope,
        id,
        used: usage.used,
        reserved: usage.reserved,
        costUsd: usage.costUsd,
        costReservedUsd: usage.costReservedUsd,
        requests: usage.requests,
      }).toEqual({
        scope: usage.scope,
        id,
        used: counter.used,
        reserved: held.tokens,
        costUsd: nanosToUsd(counter.costUsed),
        costReservedUsd: nanosToUsd(held.cost),
        requests: counter.requests,
      });
      const remaining = counter.limit === 0 ? Infinity : Math.max(0, counter.limit - counter.used - held.tokens);
      expect(usage.remaining).toBe(remaining);
    }
  }
}

const show = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value));

/** An estimate, or one aimed at the edge of the room left: the room plus `delta` tokens (or `delta` thousand nano-dollars). */
type EstimateChoice = ModelEstimate | { edge: 'tokens' | 'cost'; delta: number };

/** The estimate a choice stands for in the model's present state. */
function resolveEstimate(choice: EstimateChoice, model: BudgetModel, subject: [string, string][]): ModelEstimate {
  if (typeof choice === 'number' || 'model' in choice) return choice;
  const room = model.room(subject, choice.edge);
  if (room === undefined) return choice.edge === 'tokens' ? 10 : { inputTokens: 5, outputTokens: 5, model: FUZZ_MODEL };
  if (choice.edge === 'tokens') return Math.max(0, room + choice.delta);
  // 2000 i + 3000 o = room + delta * 1000 (prices of the fuzz model), when that is reachable
  const k = Math.max(0, Math.floor(room / 1_000) + choice.delta);
  return k % 2 === 0 || k < 3
    ? { inputTokens: Math.floor(k / 2), outputTokens: 0, model: FUZZ_MODEL }
    : { inputTokens: (k - 3) / 2, outputTokens: 1, model: FUZZ_MODEL };
}

class ReserveCommand implements Cmd {
  constructor(
    readonly user: string,
    readonly tenant: string,
    readonly choice: EstimateChoice,
  ) {}
  check = () => true;
  async run(model: BudgetModel, real: Real): Promise<void> {
    const subject = subjectOf(this.user, this.tenant);
    const estimate = resolveEstimate(this.choice, model, subject);
    const refused = model.refusals(subject, estimate);
    const outcome = await real.budgets.reserve({ user: this.user, tenant: this.tenant }, estimate).then(
      (reservation) => ({ reservation }),
      (error: unknown) => ({ error }),
    );
    if ('reservation' in outcome) {
      expect(refused).toEqual([]);
      model.reserve(subject, estimate);
      real.reservations.push(outcome.reservation);
    } else {
      expect(outcome.error).toBeInstanceOf(BudgetExceededException);
      expect(refused).toContain((outcome.error as BudgetExceededException).info.scope);
      real.reservations.push(undefined);
      model.reservations.push({ counters: [], estimate: 0, tokens: 0, cost: 0, model: undefined, leaseUntil: 0, state: 'released' });
    }
    await expectCountersMatch(model, real);
  }
  // the choice, not the estimate it resolved to: a command is replayed against other states while shrinking
  toString = () => `reserve(${this.user}/${this.tenant}, ${show(this.choice)})`;
}

/** How a commit's usage relates to the estimate: a factor of it, an absolute figure, or invalid. */
type UsageChoice =
  | { kind: 'estimate' }
  | { kind: 'scaled'; factor: number; asTotal: boolean }
  | { kind: 'absolute'; usage: ModelUsage }
  | { kind: 'bad'; value: unknown };

function usageFor(choice: UsageChoice, estimate: ModelEstimate): ModelUsage {
  if (choice.kind === 'estimate') return undefined;
  if (choice.kind === 'absolute') return choice.usage;
  if (choice.kind === 'bad') throw new Error('no usage for a bad choice');
  const tokens = BudgetModel.estimateTokens(estimate);
  if (choice.asTotal || typeof estimate === 'number') return Math.floor(tokens * choice.factor);
  return {
    inputTokens: Math.floor(estimate.inputTokens * choice.factor),
    outputTokens: Math.floor(estimate.outputTokens * choice.factor),
    model: FUZZ_MODEL,
  };
}

class CommitCommand implements Cmd {
  constructor(
    readonly pick: number,
    readonly choice: UsageChoice,
  ) {}
  check = (model: Readonly<BudgetModel>) => model.reservations.length > 0;
  async run(model: BudgetModel, real: Real): Promise<void> {
    const index = this.pick % model.reservations.length;
    const reservation = real.reservations[index];
    if (!reservation) return;
    const state = model.reservations[index].state;
    const estimate = model.reservations[index].estimate;
    if (this.choice.kind === 'bad') {
      const error = await reservation.commit(this.choice.value as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(state === 'held' ? InvalidUsageError : Error);
    } else if (state !== 'held') {
      await expect(reservation.commit(usageFor(this.choice, estimate) as never)).rejects.toThrow(`it is already ${state}`);
    } else {
      const usage = usageFor(this.choice, estimate);
      await reservation.commit(usage as never);
      model.commit(index, usage);
    }
    expect(reservation.state).toBe(model.reservations[index].state);
    await expectCountersMatch(model, real);
  }
  toString = () => `commit(#${this.pick}, ${show(this.choice)})`;
}

class ReleaseCommand implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<BudgetModel>) => model.reservations.length > 0;
  async run(model: BudgetModel, real: Real): Promise<void> {
    const index = this.pick % model.reservations.length;
    const reservation = real.reservations[index];
    if (!reservation) return;
    await reservation.release();
    model.release(index);
    expect(reservation.state).toBe(model.reservations[index].state);
    await expectCountersMatch(model, real);
  }
  toString = () => `release(#${this.pick})`;
}

class AdvanceCommand implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: BudgetModel, real: Real): Promise<void> {
    model.now += this.ms;
    real.clock.advance(this.ms);
    await expectCountersMatch(model, real);
  }
  toString = () => `advance(${this.ms} ms)`;
}

const estimateArb: fc.Arbitrary<EstimateChoice> = fc.oneof(
  fc.record({ edge: fc.constantFrom('tokens' as const, 'cost' as const), delta: fc.constantFrom(-1, 0, 1) }),
  fc.constantFrom(0, 1),
  fc.nat(120),
  fc.record({ inputTokens: fc.nat(60), outputTokens: fc.nat(60), model: fc.constant(FUZZ_MODEL) }),
);

const usageChoiceArb: fc.Arbitrary<UsageChoice> = fc.oneof(
  fc.constant({ kind: 'estimate' as const }),
  fc.record({ kind: fc.constant('scaled' as const), factor: fc.constantFrom(0, 0.5, 1, 1.5, 3), asTotal: fc.boolean() }),
  fc.record({
    kind: fc.constant('absolute' as const),
    usage: fc.oneof(fc.nat(200), fc.record({ inputTokens: fc.nat(100), outputTokens: fc.nat(100), model: fc.constant(FUZZ_MODEL) })),
  }),
  fc.record({
    kind: fc.constant('bad' as const),
    value: fc.constantFrom(
      -5,
      Number.NaN,
      Infinity,
      1.5,
      '12',
      null,
      {},
      { inputTokens: -1, outputTokens: 2 },
      { outputTokens: Number.NaN },
      { totalTokens: 2 ** 53 },
    ),
  }),
);

const commandsArb = fc.commands(
  [
    fc
      .tuple(fc.constantFrom(...USERS), fc.constantFrom(...TENANTS), estimateArb)
      .map(([user, tenant, estimate]) => new ReserveCommand(user, tenant, estimate)),
    fc.tuple(fc.nat(), usageChoiceArb).map(([pick, choice]) => new CommitCommand(pick, choice)),
    fc.nat().map((pick) => new ReleaseCommand(pick)),
    fc.constantFrom(1_000, 30_000, LEASE_MS - 1, LEASE_MS, LEASE_MS + 1).map((ms) => new AdvanceCommand(ms)),
  ],
  { maxCommands: 30 },
);

/** Per run: a token limit (0 = unlimited) and a money limit in USD for each scope. */
const limitsArb = fc.record({
  user: fc.record({ tokens: fc.constantFrom(0, 50, 120, 300), costUsd: fc.constantFrom(0, 0.0002, 0.0005) }),
  tenant: fc.record({ tokens: fc.constantFrom(0, 100, 250), costUsd: fc.constantFrom(0, 0.0008) }),
  global: fc.record({ tokens: fc.constantFrom(0, 200, 500), costUsd: fc.constantFrom(0, 0.001) }),
});

describe.each(STORAGE_KINDS)('interleavings against a reference model on %s (property)', (kind) => {
  it('counters never go negative or NaN and always equal the model; admission equals the model', async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, commandsArb, async (limits, commands) => {
        const clock = new TestClock(START);
        const store = makeStorage(kind, 'app');
        const env = await budgetService({
          storage: store.storage,
          keyPrefix: uniquePrefix(),
          clock: clock.read,
          leaseMs: LEASE_MS,
          pricing: FUZZ_PRICING,
          budgets: (['user', 'tenant', 'global'] as const).map((scope) => ({
            scope,
            period: 'day' as const,
            tokens: limits[scope].tokens,
            costUsd: limits[scope].costUsd,
          })),
        });
        const model = new BudgetModel(START, LEASE_MS, {
          user: { limit: limits.user.tokens, costLimit: usdToNanos(limits.user.costUsd) },
          tenant: { limit: limits.tenant.tokens, costLimit: usdToNanos(limits.tenant.costUsd) },
          global: { limit: limits.global.tokens, costLimit: usdToNanos(limits.global.costUsd) },
        });
        try {
          await fc.asyncModelRun(() => ({ model, real: { budgets: env.budgets, clock, reservations: [] } }), commands);
        } finally {
          await env.close();
          await store.close();
        }
      }),
      fuzzParams(RUNS[kind]),
    );
  });
});
