import { BudgetCounter, StorageAdapter } from 'nestjs-token-budget';
import { makeStorage, STORAGE_KINDS, uniquePrefix } from './fixtures/storages';

const now = 1_000;

describe.each(STORAGE_KINDS)('%s storage: tokens and money in one counter', (kind) => {
  let store: ReturnType<typeof makeStorage>;
  let storage: StorageAdapter;
  let prefix: string;
  const counter = (name: string, limit: number, costLimit: number): BudgetCounter => ({
    key: `${prefix}:budget:{${name}}:p`,
    limit,
    costLimit,
    maxCarryover: 0,
    expireAt: now + 600_000,
  });

  beforeEach(() => {
    store = makeStorage(kind, 'app'); // the counters' times are synthetic (epoch + 1 s)
    storage = store.storage;
    prefix = uniquePrefix();
  });
  afterEach(() => store.close());

  it('refuses on money when tokens fit, names the dimension, and holds nothing', async () => {
    const a = counter('a', 1_000, 0);
    const b = counter('b', 1_000, 500);
    await storage.commit({ id: 'x', counters: [b], amount: 10, cost: 400, now });
    const refused = await storage.reserve({ id: 'r1', counters: [a, b], amount: 10, cost: 101, leaseUntil: now + 60_000, now });
    expect(refused).toMatchObject({
      admitted: false,
      index: 1,
      dimension: 'cost',
      state: { used: 10, costUsed: 400, costReserved: 0, requests: 1 },
    });
    expect(await storage.read([a, b], now)).toMatchObject([
      { used: 0, reserved: 0, carryover: 0, costUsed: 0, costReserved: 0, requests: 0 },
      { used: 10, reserved: 0, carryover: 0, costUsed: 400, costReserved: 0, requests: 1 },
    ]);
    const admitted = await storage.reserve({ id: 'r2', counters: [a, b], amount: 10, cost: 100, leaseUntil: now + 60_000, now });
    expect(admitted).toMatchObject({ admitted: true, held: 10, heldCost: 100 });
    // the money limit is now reached exactly: a call with no cost estimate is refused too (`<` at 0)
    expect(await storage.reserve({ id: 'r3', counters: [b], amount: 1, cost: 0, leaseUntil: now + 60_000, now })).toMatchObject({
      admitted: false,
      dimension: 'cost',
    });
  });

  it('refuses on tokens with the token dimension', async () => {
    const a = counter('a', 100, 1_000);
    expect(await storage.reserve({ id: 'r1', counters: [a], amount: 101, cost: 1, leaseUntil: now + 60_000, now })).toMatchObject({
      admitted: false,
      index: 0,
      dimension: 'tokens',
    });
  });

  it('commits money and counts requests; release and lapsed leases give held money back', async () => {
    const a = counter('a', 0, 10_000);
    await storage.reserve({ id: 'r1', counters: [a], amount: 50, cost: 3_000, leaseUntil: now + 60_000, now });
    await storage.reserve({ id: 'r2', counters: [a], amount: 50, cost: 2_000, leaseUntil: now + 10, now });
    expect((await storage.read([a], now))[0]).toMatchObject({ reserved: 100, costReserved: 5_000 });
    expect((await storage.read([a], now + 10))[0]).toMatchObject({ reserved: 50, costReserved: 3_000 });
    await storage.commit({ id: 'r1', counters: [a], amount: 40, cost: 2_500, now: now + 20 });
    await storage.release({ id: 'r2', counters: [a], now: now + 20 });
    expect((await storage.read([a], now + 20))[0]).toMatchObject({
      used: 40,
      reserved: 0,
      carryover: 0,
      costUsed: 2_500,
      costReserved: 0,
      requests: 1,
    });
  });

  it("clamps: holds each dimension's smallest room, admits while anything is left", async () => {
    const a = counter('a', 1_000, 0);
    const b = counter('b', 300, 700);
    await storage.commit({ id: 'x', counters: [a, b], amount: 100, cost: 600, now });
    const result = await storage.reserve({
      id: 'r1',
      counters: [a, b],
      amount: 500,
      cost: 500,
      policy: 'clamp',
      leaseUntil: now + 60_000,
      now,
    });
    expect(result).toMatchObject({ admitted: true, held: 200, heldCost: 100 });
    expect(await storage.read([a, b], now)).toMatchObject([
      // on a Cluster too: a and b are on different slots, held one after the other, and a's hold of the
      // whole estimate is lowered to the smallest room once b's is known
      { used: 100, reserved: 200, costUsed: 600, costReserved: 100 },
      { used: 100, reserved: 200, costUsed: 600, costReserved: 100 },
    ]);
    // nothing left on b: clamp refuses like strict
    expect(
      await storage.reserve({ id: 'r2', counters: [a, b], amount: 1, cost: 0, policy: 'clamp', leaseUntil: now + 60_000, now }),
    ).toMatchObject({ admitted: false, index: 1 });
    // strict refuses what clamp admitted
    await storage.release({ id: 'r1', counters: [a, b], now });
    expect(await storage.reserve({ id: 'r3', counters: [a, b], amount: 500, cost: 0, leaseUntil: now + 60_000, now })).toMatchObject({
      admitted: false,
      index: 1,
      dimension: 'tokens',
    });
  });

  it('keeps money exact over 10,000 commits', async () => {
    const a = counter('a', 0, 0);
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => storage.commit({ id: `c${i}`, counters: [a], amount: 1, cost: 123_000, now })),
    );
    expect((await storage.read([a], now))[0]).toMatchObject({ costUsed: 1_230_000_000, requests: 10_000, used: 10_000 });
  });

  it.each([Number.NaN, -1, 0.5, Infinity])('refuses a cost of %p before writing anything', async (bad) => {
    const a = counter('a', 100, 1_000);
    const attempt = (run: () => unknown) => Promise.resolve().then(run); // sync throw or rejection alike
    await expect(
      attempt(() => storage.reserve({ id: 'r', counters: [a], amount: 1, cost: bad, leaseUntil: now + 60_000, now })),
    ).rejects.toThrow(/Invalid cost: .* is not a non-negative integer of nano-dollars/);
    await expect(attempt(() => storage.commit({ id: 'c', counters: [a], amount: 1, cost: bad, now }))).rejects.toThrow(/Invalid cost/);
    await expect(attempt(() => storage.commit({ id: 'c', counters: [a], amount: bad, cost: 1, now }))).rejects.toThrow(
      /the token amount .* is not a non-negative integer/,
    );
    expect((await storage.read([a], now))[0]).toMatchObject({
      used: 0,
      reserved: 0,
      carryover: 0,
      costUsed: 0,
      costReserved: 0,
      requests: 0,
    });
  });
});
