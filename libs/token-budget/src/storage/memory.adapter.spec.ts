import { MemoryAdapter } from './memory.adapter';
import { BudgetCounter } from './storage-adapter.interface';

const counter = (key: string, limit: number, expireAt = 10_000, extra: Partial<BudgetCounter> = {}): BudgetCounter => ({
  key,
  limit,
  costLimit: 0,
  maxCarryover: 0,
  expireAt,
  ...extra,
});

/** State fields of a counter without grants or overrides. */
const NO_ADMIN = (limit: number) => ({ granted: 0, costGranted: 0, limit, costLimit: 0 });

describe('MemoryAdapter', () => {
  let adapter: MemoryAdapter;
  beforeEach(() => (adapter = new MemoryAdapter()));
  afterEach(() => adapter.onModuleDestroy());

  it('answers synchronously, so admission needs no Promise', () => {
    const result = adapter.reserve({ id: 'r1', counters: [counter('a', 10)], amount: 4, cost: 0, leaseUntil: 500, now: 0 });
    expect(result).toEqual({
      admitted: true,
      held: 4,
      heldCost: 0,
      states: [{ used: 0, reserved: 4, carryover: 0, costUsed: 0, costReserved: 0, requests: 0, ...NO_ADMIN(10) }],
    });
  });

  it('holds on all counters or none', () => {
    adapter.commit({ id: 'x', counters: [counter('b', 5)], amount: 5, cost: 0, now: 0 });
    const result = adapter.reserve({
      id: 'r1',
      counters: [counter('a', 10), counter('b', 5)],
      amount: 1,
      cost: 0,
      leaseUntil: 500,
      now: 0,
    });
    expect(result).toEqual({
      admitted: false,
      index: 1,
      dimension: 'tokens',
      state: { used: 5, reserved: 0, carryover: 0, costUsed: 0, costReserved: 0, requests: 1, ...NO_ADMIN(5) },
    });
    expect(adapter.read([counter('a', 10)], 0)).toEqual([
      { used: 0, reserved: 0, carryover: 0, costUsed: 0, costReserved: 0, requests: 0, ...NO_ADMIN(10) },
    ]);
    expect(adapter.size).toBe(1);
  });

  it('lets leases lapse at their end and keeps later ones', () => {
    adapter.reserve({ id: 'early', counters: [counter('a', 10)], amount: 3, cost: 0, leaseUntil: 100, now: 0 });
    adapter.reserve({ id: 'late', counters: [counter('a', 10)], amount: 4, cost: 0, leaseUntil: 200, now: 0 });
    expect(adapter.read([counter('a', 10)], 99)[0].reserved).toBe(7);
    expect(adapter.read([counter('a', 10)], 100)[0].reserved).toBe(4);
    expect(adapter.read([counter('a', 10)], 200)[0].reserved).toBe(0);
  });

  it('drops records of ended periods on sweep, and on access', () => {
    adapter.commit({ id: 'x', counters: [counter('old', 10, 1_000), counter('new', 10, 5_000)], amount: 1, cost: 0, now: 0 });
    expect(adapter.size).toBe(2);
    adapter.sweep(1_000);
    expect(adapter.size).toBe(1);
    expect(adapter.read([counter('new', 10, 5_000)], 5_000)[0].used).toBe(0);
    expect(adapter.size).toBe(0);
  });

  it('computes the rollover bonus from the previous record', () => {
    adapter.commit({ id: 'x', counters: [counter('p', 100)], amount: 30, cost: 0, now: 0 });
    const next = counter('n', 100, 10_000, { previousKey: 'p', maxCarryover: 50 });
    expect(adapter.read([next], 0)[0].carryover).toBe(50);
    expect(adapter.read([{ ...next, previousKey: 'missing' }], 0)[0].carryover).toBe(0);
  });

  it('applies a limit override to admission, and removing it restores the rule limit', () => {
    const c = counter('a', 10, 10_000, { override: { key: 'a:limits', field: 'user|month' } });
    adapter.setLimit({ key: 'a:limits', field: 'user|month', tokens: 3 });
    expect(adapter.reserve({ id: 'r1', counters: [c], amount: 4, cost: 0, leaseUntil: 500, now: 0 }).admitted).toBe(false);
    adapter.setLimit({ key: 'a:limits', field: 'user|month', tokens: null });
    expect(adapter.reserve({ id: 'r2', counters: [c], amount: 4, cost: 0, leaseUntil: 500, now: 0 }).admitted).toBe(true);
    expect(adapter.read([c], 0)[0].limit).toBe(10);
  });

  it('adds granted credits to the room of the period, and rolls unused credits over', () => {
    adapter.commit({ id: 'x', counters: [counter('p', 10)], amount: 10, cost: 0, now: 0 });
    expect(adapter.grant({ counters: [counter('p', 10)], tokens: 5, cost: 7, now: 0 })[0]).toMatchObject({ granted: 5, costGranted: 7 });
    expect(adapter.reserve({ id: 'r1', counters: [counter('p', 10)], amount: 5, cost: 0, leaseUntil: 500, now: 0 }).admitted).toBe(true);
    expect(adapter.reserve({ id: 'r2', counters: [counter('p', 10)], amount: 1, cost: 0, leaseUntil: 500, now: 0 }).admitted).toBe(false);
    adapter.release({ id: 'r1', counters: [counter('p', 10)], now: 0 });
    const next = counter('n', 10, 10_000, { previousKey: 'p', maxCarryover: 100 });
    expect(adapter.read([next], 0)[0].carryover).toBe(5);
  });

  it('reports each threshold once per record, in tokens and in money', () => {
    const c = counter('a', 100, 10_000, { costLimit: 1_000, thresholds: [0.5, 0.9] });
    const commit = (amount: number, cost: number) => adapter.commit({ id: 'x', counters: [c], amount, cost, now: 0 }).crossed[0];
    expect(commit(40, 0)).toEqual([]);
    expect(commit(10, 600)).toEqual([
      { fraction: 0.5, dimension: 'tokens' },
      { fraction: 0.5, dimension: 'cost' },
    ]);
    expect(commit(45, 0)).toEqual([{ fraction: 0.9, dimension: 'tokens' }]);
    expect(commit(1, 0)).toEqual([]);
  });

  it('ranks counters by committed tokens and money without scanning records', () => {
    const c = (id: string) => counter(`k:${id}`, 0, 10_000, { index: { key: 'rank', costKey: 'rank:cost', member: id } });
    adapter.commit({ id: 'x', counters: [c('a')], amount: 5, cost: 50, now: 0 });
    adapter.commit({ id: 'y', counters: [c('b')], amount: 9, cost: 10, now: 0 });
    adapter.commit({ id: 'z', counters: [c('c')], amount: 7, cost: 90, now: 0 });
    expect(adapter.list({ key: 'rank', limit: 2, now: 0 })).toEqual([
      { member: 'b', score: 9 },
      { member: 'c', score: 7 },
    ]);
    expect(adapter.list({ key: 'rank:cost', limit: 0, now: 0 }).map((e) => e.member)).toEqual(['c', 'a', 'b']);
    adapter.unindex([{ key: 'rank', costKey: 'rank:cost', member: 'b' }]);
    expect(adapter.list({ key: 'rank', limit: 0, now: 0 }).map((e) => e.member)).toEqual(['c', 'a']);
    expect(adapter.list({ key: 'rank', limit: 0, now: 10_000 })).toEqual([]);
  });
});
