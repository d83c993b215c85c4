import { BudgetCounter, InvalidUsageError, StorageAdapter } from 'nestjs-token-budget';
import { makeStorage, STORAGE_KINDS, uniquePrefix } from './fixtures/storages';

const MAX = Number.MAX_SAFE_INTEGER;

describe.each(STORAGE_KINDS)('figures near 2^53 on %s', (kind) => {
  let store: ReturnType<typeof makeStorage>;
  let storage: StorageAdapter;
  const now = Date.parse('2026-11-23T10:00:00Z');
  const counter = (limit: number, costLimit = 0): BudgetCounter => ({
    key: `${uniquePrefix()}:budget:{user:big}:2026-11`,
    limit,
    costLimit,
    maxCarryover: 0,
    expireAt: Date.parse('2027-01-01T01:00:00Z'),
  });

  beforeEach(() => {
    store = makeStorage(kind, 'app');
    storage = store.storage;
  });
  afterEach(() => store.close());

  it('saturates committed tokens and nano-dollars at 2^53 - 1 instead of rounding past it', async () => {
    const c = counter(0);
    await storage.commit({ id: 'a', counters: [c], amount: MAX, cost: MAX, now });
    const result = await storage.commit({ id: 'b', counters: [c], amount: MAX, cost: MAX, now });
    expect(result?.states[0]).toMatchObject({ used: MAX, costUsed: MAX, requests: 2 });
    const [state] = await storage.read([c], now);
    expect(state).toMatchObject({ used: MAX, costUsed: MAX });
    expect(Number.isSafeInteger(state.used) && Number.isSafeInteger(state.costUsed)).toBe(true);
  });

  it('saturates grants, and an effective limit past 2^53 - 1 admits exactly up to it', async () => {
    const c = counter(1_000, 1_000);
    await storage.grant!({ counters: [c], tokens: MAX, cost: MAX, now });
    const [state] = await storage.grant!({ counters: [c], tokens: MAX, cost: MAX, now });
    expect(state).toMatchObject({ granted: MAX, costGranted: MAX });
    await storage.commit({ id: 'used', counters: [c], amount: 10, cost: 10, now });
    // limit + granted saturates at MAX: exactly MAX - 10 fits, one more does not
    const refused = await storage.reserve({ id: 'r1', counters: [c], amount: MAX - 9, cost: 0, leaseUntil: now + 60_000, now });
    expect(refused).toMatchObject({ admitted: false, dimension: 'tokens' });
    const admitted = await storage.reserve({ id: 'r2', counters: [c], amount: MAX - 10, cost: MAX - 10, leaseUntil: now + 60_000, now });
    expect(admitted).toMatchObject({ admitted: true, held: MAX - 10, heldCost: MAX - 10 });
    const [after] = await storage.read([c], now);
    expect(after).toMatchObject({ used: 10, reserved: MAX - 10, costReserved: MAX - 10 });
  });

  it('refuses an amount past 2^53 - 1 before writing anything', async () => {
    const c = counter(0);
    await expect(Promise.resolve().then(() => storage.commit({ id: 'x', counters: [c], amount: MAX + 1, cost: 0, now }))).rejects.toThrow(
      InvalidUsageError,
    );
    await expect(
      Promise.resolve().then(() => storage.reserve({ id: 'y', counters: [c], amount: 0, cost: 2 ** 60, leaseUntil: now + 1, now })),
    ).rejects.toThrow(InvalidUsageError);
    expect((await storage.read([c], now))[0]).toMatchObject({ used: 0, reserved: 0, requests: 0 });
  });
});
