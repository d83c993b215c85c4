import fc from 'fast-check';
import { CaseOutcome, COUNTER_CASES, CounterCase, counterCaseArb, expectedOutcome, runCase } from '../../../../test/fixtures/counter-cases';
import { fuzzParams } from '../../../../test/fixtures/fuzz';
import {
  admission,
  admits,
  effectiveCostLimit,
  effectiveLimit,
  hasLapsed,
  limitInForce,
  reachesThreshold,
  rolloverBonus,
  roomOf,
} from './counter-arithmetic';
import { MemoryAdapter } from './memory.adapter';
import type { CounterState } from './storage-adapter.interface';

const MAX = Number.MAX_SAFE_INTEGER;
const state = (over: Partial<CounterState> = {}): CounterState => ({
  used: 0,
  reserved: 0,
  carryover: 0,
  costUsed: 0,
  costReserved: 0,
  requests: 0,
  limit: 1_000,
  costLimit: 0,
  ...over,
});

describe('counter arithmetic (the rules, stated once)', () => {
  it.each([
    [1_000, 200, 50, 1_250],
    [0, 200, 50, 0], // unlimited stays unlimited whatever the bonus and credits
    [1_000, 0, MAX, MAX], // saturated, not rounded
  ])('effectiveLimit(%d, carryover %d, granted %d) = %d', (limit, carryover, granted, expected) => {
    expect(effectiveLimit(limit, carryover, granted)).toBe(expected);
  });

  it('money has no rollover, only credits, and saturates the same way', () => {
    expect(effectiveCostLimit(5_000, 700)).toBe(5_700);
    expect(effectiveCostLimit(0, 700)).toBe(0);
    expect(effectiveCostLimit(5_000, MAX)).toBe(MAX);
  });

  it.each([
    // room, amount, clamp, admitted
    [100, 100, false, true],
    [99, 100, false, false],
    [1, 0, false, true],
    [0, 0, false, false],
    [1, 100, true, true],
    [0, 100, true, false],
    [-5, 0, true, false],
  ])('admits(room %d, amount %d, clamp %s) is %s', (room, amount, clamp, admitted) => {
    expect(admits(room, amount, clamp)).toBe(admitted);
  });

  it.each([
    ['no rollover', 0, { limit: 1_000, carryover: 0, used: 0, reserved: 0 }, 0],
    ['no previous record', 500, undefined, 0],
    ['unlimited previous period', 500, { limit: 0, carryover: 0, used: 0, reserved: 0 }, 0],
    ['the unused part', 500, { limit: 1_000, carryover: 0, used: 700, reserved: 0 }, 300],
    ['capped by maxCarryover', 200, { limit: 1_000, carryover: 0, used: 100, reserved: 0 }, 200],
    ['holds and credits count', 2_000, { limit: 1_000, carryover: 100, granted: 50, used: 100, reserved: 300 }, 750],
    ['over-used gives nothing', 500, { limit: 1_000, carryover: 0, used: 1_200, reserved: 0 }, 0],
  ])('rolloverBonus: %s', (_name, maxCarryover, previous, bonus) => {
    expect(rolloverBonus(maxCarryover, previous)).toBe(bonus);
  });

  it('an override replaces the rule limit, 0 included; thresholds need a limit; a lease lapses at its end', () => {
    expect([limitInForce(undefined, 1_000), limitInForce(150, 1_000), limitInForce(0, 1_000)]).toEqual([1_000, 150, 0]);
    expect([reachesThreshold(800, 0.8, 1_000), reachesThreshold(799, 0.8, 1_000), reachesThreshold(5, 0.8, 0)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([hasLapsed(1_000, 999), hasLapsed(1_000, 1_000)]).toEqual([false, true]);
    expect(roomOf(1_000, 700, 400)).toBe(-100);
  });

  it('admission is all or none, names the first refusing counter, and holds the smallest room under clamp', () => {
    const states = [state({ used: 901 }), undefined, state({ limit: 500, used: 470 })];
    expect(admission([...states], 100, 0, false)).toEqual({ admitted: false, index: 0, dimension: 'tokens', state: states[0] });
    expect(admission([...states], 100, 0, true)).toMatchObject({ admitted: true, held: 30, heldCost: 0 });
    expect(admission([state({ limit: 0, costLimit: 10, costUsed: 10 })], 5, 3, false)).toMatchObject({
      admitted: false,
      index: 0,
      dimension: 'cost',
    });
  });
});

/**
 * An independent statement of DESIGN §4 in exact (BigInt) arithmetic: admit iff for every limited
 * counter `used + reserved + E <= effectiveLimit` (`<` when E is 0); clamp admits while each has
 * room and holds the smallest room; bonus `min(max(0, previousEffective - previousUsed - held), maxCarryover)`.
 */
function oracle(c: CounterCase): CaseOutcome['reserve'] {
  const max = BigInt(MAX);
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  let held = BigInt(c.amount);
  let heldCost = BigInt(c.cost);
  for (const [i, s] of c.counters.entries()) {
    if (s.soft) continue;
    const p = s.previous;
    const bonus =
      s.maxCarryover > 0 && p && p.limit > 0
        ? (() => {
            const unused = min(BigInt(p.limit) + BigInt(p.granted), max) - BigInt(p.used) - BigInt(p.reserved);
            return unused <= 0n ? 0n : min(unused, BigInt(s.maxCarryover));
          })()
        : 0n;
    const dims = [
      ['tokens', s.override?.tokens ?? s.limit, bonus + BigInt(s.granted), s.used + s.reserved, c.amount],
      ['cost', s.override?.cost ?? s.costLimit, BigInt(s.costGranted), s.costUsed + s.costReserved, c.cost],
    ] as const;
    for (const [dimension, limit, extra, taken, estimate] of dims) {
      if (limit <= 0) continue;
      const effective = min(BigInt(limit) + extra, max);
      const room = effective - BigInt(taken);
      const fits = c.clamp || estimate === 0 ? room > 0n : BigInt(taken) + BigInt(estimate) <= effective;
      if (!fits) return { admitted: false, index: i, dimension };
      if (dimension === 'tokens') held = min(held, room);
      else heldCost = min(heldCost, room);
    }
  }
  return { admitted: true, held: Number(held), heldCost: Number(heldCost) };
}

describe('counter arithmetic against DESIGN §4 and MemoryAdapter', () => {
  let memory: MemoryAdapter;
  beforeEach(() => (memory = new MemoryAdapter()));
  afterEach(() => memory.onModuleDestroy());

  it.each(COUNTER_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const expected = expectedOutcome(c);
    expect(expected.reserve).toEqual(oracle(c));
    expect(await runCase(memory, c, 'table')).toEqual(expected);
  });

  it('holds for arbitrary cases (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(counterCaseArb, async (c) => {
        const expected = expectedOutcome(c);
        expect(expected.reserve).toEqual(oracle(c));
        expect(await runCase(memory, c, `p${run++}`)).toEqual(expected);
      }),
      fuzzParams(400),
    );
  });
});
