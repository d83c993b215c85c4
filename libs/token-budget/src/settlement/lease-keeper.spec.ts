import { Logger } from '@nestjs/common';
import { Reservation, ReservationSettler } from '../reservation';
import { MemoryAdapter } from '../storage/memory.adapter';
import type { BudgetCounter } from '../storage/storage-adapter.interface';
import { LeaseKeeper } from './lease-keeper';

const LEASE_MS = 90;
const counters: BudgetCounter[] = [{ key: 'k:{user:a}:d', limit: 1_000, costLimit: 0, maxCarryover: 0, expireAt: Infinity }];
const settler: ReservationSettler = {
  commitReservation: async () => ({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }),
  releaseReservation: () => undefined,
  keepReservation: () => undefined,
};

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LeaseKeeper on MemoryAdapter', () => {
  let storage: MemoryAdapter;
  let keeper: LeaseKeeper;
  const reserved = () => storage.read(counters, Date.now())[0].reserved;
  const hold = (id: string) => {
    storage.reserve({ id, counters, amount: 100, cost: 0, leaseUntil: Date.now() + LEASE_MS, now: Date.now() });
    return new Reservation(id, 100, counters, undefined, settler, {
      tokens: 100,
      costNanos: 0,
      estimateCostNanos: 0,
      model: undefined,
      leaseMs: LEASE_MS,
    });
  };
  beforeEach(() => {
    storage = new MemoryAdapter();
    keeper = new LeaseKeeper(storage, Date.now, new Logger('test'));
  });
  afterEach(() => {
    keeper.stopAll();
    storage.onModuleDestroy();
  });

  it('keeps a hold past many leases while kept, and lets it lapse within one lease once stopped', async () => {
    const r = hold('a');
    keeper.keep(r, LEASE_MS, 0);
    const start = Date.now();
    await until(() => Date.now() > start + 6 * LEASE_MS || reserved() === 0, 10_000);
    expect(reserved()).toBe(100);
    keeper.stop(r);
    const stopped = Date.now();
    await until(() => reserved() === 0, 10 * LEASE_MS);
    expect(Date.now() - stopped).toBeLessThanOrEqual(LEASE_MS + 50);
    expect(keeper.size).toBe(0);
  });

  it('stops renewing at the call deadline, and on its own once the reservation is settled', async () => {
    const bounded = hold('b');
    keeper.keep(bounded, LEASE_MS, 2 * LEASE_MS);
    await until(() => reserved() === 0, 20 * LEASE_MS);
    expect(keeper.size).toBe(0);
    const settled = hold('c');
    keeper.keep(settled, LEASE_MS, 0);
    settled.markCommitting();
    settled.markCommitted();
    await until(() => keeper.size === 0, 10 * LEASE_MS);
  });

  it('keeps nothing for a storage without renew, or a reservation that holds nothing', () => {
    const plain = new LeaseKeeper(
      {
        reserve: storage.reserve.bind(storage),
        commit: storage.commit.bind(storage),
        release: () => undefined,
        read: () => [],
        delete: () => undefined,
      },
      Date.now,
      new Logger('test'),
    );
    plain.keep(hold('d'), LEASE_MS, 0);
    expect(plain.size).toBe(0);
    keeper.keep(
      new Reservation('e', 0, counters, undefined, settler, { tokens: 0, costNanos: 0, estimateCostNanos: 0, model: undefined }),
      LEASE_MS,
      0,
    );
    expect(keeper.size).toBe(0);
  });
});
