import fc from 'fast-check';
import { BudgetExceededException, BudgetService, BudgetUsage, Reservation } from 'nestjs-token-budget';
import { TestClock } from './fixtures/create-app';
import { fuzzParams } from './fixtures/fuzz';
import { budgetService } from './fixtures/service';
import { makeStorage, STORAGE_KINDS, uniquePrefix } from './fixtures/storages';

const HOUR = 3_600_000;
const LEASE_MS = 2 * HOUR;
const LIMIT = 100;
const MAX_CARRYOVER = 40;
const START = Date.parse('2026-11-23T20:00:00Z');
const USERS = ['a', 'b'];

type Step =
  | { op: 'reserve'; user: string; estimate: number }
  | { op: 'record'; user: string; tokens: number }
  | { op: 'commit'; pick: number; tokens: number }
  | { op: 'release'; pick: number }
  | { op: 'advance'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('reserve' as const),
    user: fc.constantFrom(...USERS),
    estimate: fc.oneof(fc.constantFrom(0, 1, LIMIT), fc.nat(LIMIT + MAX_CARRYOVER + 1)),
  }),
  fc.record({ op: fc.constant('record' as const), user: fc.constantFrom(...USERS), tokens: fc.nat(80) }),
  fc.record({ op: fc.constant('commit' as const), pick: fc.nat(), tokens: fc.nat(80) }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
  // within the day, across the lease, to the next day (a hold in flight at the boundary), over an idle day
  fc.record({ op: fc.constant('advance' as const), ms: fc.constantFrom(HOUR, LEASE_MS, LEASE_MS + 1, 5 * HOUR, 24 * HOUR, 48 * HOUR) }),
);

interface Instance {
  budgets: BudgetService;
  reservations: (Reservation | undefined)[];
  close(): Promise<void>;
}

/** What one step did on one storage: admitted or refused, committed or the error's message. */
async function apply(step: Step, instance: Instance): Promise<string> {
  const { budgets, reservations } = instance;
  const settled = <T>(work: Promise<T>) =>
    work.then(
      () => 'ok',
      (error: unknown) =>
        error instanceof BudgetExceededException
          ? `refused ${error.info.scope}`
          : `error ${(error as Error).message.replace(/reservation \S+/, 'reservation')}`,
    );
  switch (step.op) {
    case 'reserve': {
      const reservation = await budgets.reserve(step.user, step.estimate).catch((error: unknown) => error);
      reservations.push(reservation instanceof Reservation ? reservation : undefined);
      return reservation instanceof Reservation ? 'ok' : `refused ${(reservation as BudgetExceededException).info?.scope}`;
    }
    case 'record':
      return settled(budgets.record(step.user, step.tokens));
    case 'commit': {
      const reservation = reservations.length ? reservations[step.pick % reservations.length] : undefined;
      return reservation ? settled(reservation.commit(step.tokens)) : 'none';
    }
    case 'release': {
      const reservation = reservations.length ? reservations[step.pick % reservations.length] : undefined;
      return reservation ? settled(reservation.release()) : 'none';
    }
    case 'advance':
      return 'ok';
  }
}

const figures = (u: BudgetUsage) => ({
  user: u.id,
  period: u.period,
  used: u.used,
  reserved: u.reserved,
  carryover: u.carryover,
  effectiveLimit: u.effectiveLimit,
  remaining: u.remaining,
  requests: u.requests,
});

describe('rollover and leases across period boundaries, the same on every storage (property)', () => {
  it(`gives the same admissions and the same figures on ${STORAGE_KINDS.join(', ')}; a bonus never passes maxCarryover nor goes negative`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (steps) => {
        const clock = new TestClock(START);
        const stores = STORAGE_KINDS.map((kind) => makeStorage(kind, 'app'));
        const instances: Instance[] = [];
        try {
          for (const store of stores) {
            const env = await budgetService({
              storage: store.storage,
              keyPrefix: uniquePrefix(),
              clock: clock.read,
              leaseMs: LEASE_MS,
              budgets: [{ scope: 'user', period: 'day', tokens: LIMIT, rollover: { enabled: true, maxCarryover: MAX_CARRYOVER } }],
            });
            instances.push({ ...env, reservations: [] });
          }
          for (const step of steps) {
            if (step.op === 'advance') clock.advance(step.ms);
            const outcomes: string[] = [];
            for (const instance of instances) outcomes.push(await apply(step, instance));
            expect(outcomes).toEqual(outcomes.map(() => outcomes[0]));
            const reports: ReturnType<typeof figures>[][] = [];
            for (const instance of instances)
              reports.push((await Promise.all(USERS.map((user) => instance.budgets.getUsage(user)))).flat().map(figures));
            for (const report of reports) {
              for (const row of report) {
                expect(row.carryover).toBeGreaterThanOrEqual(0);
                expect(row.carryover).toBeLessThanOrEqual(MAX_CARRYOVER);
                expect(row.effectiveLimit).toBe(LIMIT + row.carryover);
                expect(row.remaining).toBe(Math.max(0, row.effectiveLimit - row.used - row.reserved));
                for (const value of Object.values(row)) if (typeof value === 'number') expect(Number.isNaN(value)).toBe(false);
              }
            }
            expect(reports).toEqual(reports.map(() => reports[0]));
          }
        } finally {
          await Promise.all(instances.map((instance) => instance.close()));
          await Promise.all(stores.map((store) => store.close()));
        }
      }),
      fuzzParams(40),
    );
  });
});
