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

describe('MemoryAdapter', () => {
  let adapter: MemoryAdapter;
  beforeEach(() => (adapter = new MemoryAdapter()));
  afterEach(() => adapter.onModuleDestroy());

  it('answers synchronously, so admission needs no Promise', () => {
    const result = adapter.reserve({ id: 'r1', counters: [counter('a', 10)], amount: 4, cost: 0, leaseUntil: 500, now: 0 });
    expect(result).toEqual({ admitted: true, held: 4, heldCost: 0, states: [{ used: 0, reserved: 4, carryover: 0, costUsed: 0, costReserved: 0, requests: 0 }] });
  });

  it('holds on all counters or none', () => {
    adapter.commit({ id: 'x', counters: [counter('b', 5)], amount: 5, cost: 0, now: 0 });
    const result = adapter.reserve({ id: 'r1', counters: [counter('a', 10), counter('b', 5)], amount: 1, cost: 0, leaseUntil: 500, now: 0 });
    expect(result).toEqual({ admitted: false, index: 1, dimension: 'tokens', state: { used: 5, reserved: 0, carryover: 0, costUsed: 0, costReserved: 0, requests: 1 } });
    expect(adapter.read([counter('a', 10)], 0)).toEqual([{ used: 0, reserved: 0, carryover: 0, costUsed: 0, costReserved: 0, requests: 0 }]);
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
});
