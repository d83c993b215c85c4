import { Logger } from '@nestjs/common';
import { MemoryAdapter } from '../storage/memory.adapter';
import type { BudgetCounter, CommitRequest, StorageAdapter } from '../storage/storage-adapter.interface';
import { PendingSettlement, SettlementRetryQueue } from './settlement-retry-queue';

const counters: BudgetCounter[] = [{ key: 'k:{user:a}:d', limit: 0, costLimit: 0, maxCarryover: 0, expireAt: Infinity }];

/** MemoryAdapter behind a switch that makes every operation fail, as a storage that is away. */
function switchable(): { storage: StorageAdapter; memory: MemoryAdapter; down: { value: boolean } } {
  const memory = new MemoryAdapter();
  const down = { value: true };
  const gate = <T>(run: () => T): T => {
    if (down.value) throw new Error('connection refused');
    return run();
  };
  const storage: StorageAdapter = {
    reserve: (r) => gate(() => memory.reserve(r)),
    commit: (r) => gate(() => memory.commit(r)),
    release: (r) => gate(() => memory.release(r)),
    read: (c, n) => gate(() => memory.read(c, n)),
    delete: (k) => gate(() => memory.delete(k)),
  };
  return { storage, memory, down };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('SettlementRetryQueue', () => {
  const entry = (id: string, amount: number, landed: string[]): PendingSettlement => ({
    kind: 'commit',
    request: { id, counters, amount, cost: 0, now: 0 } as CommitRequest,
    attempts: 0,
    landed: () => landed.push(id),
  });

  it('retries in order until storage takes each one, then forgets them', async () => {
    const { storage, memory, down } = switchable();
    const queue = new SettlementRetryQueue(storage, Date.now, { maxPending: 10, minDelayMs: 5, maxDelayMs: 20 }, new Logger('test'));
    const landed: string[] = [];
    for (let i = 0; i < 5; i++) expect(queue.add(entry(`c${i}`, 10 + i, landed))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // several failed rounds while down
    expect(landed).toEqual([]);
    down.value = false;
    await until(() => queue.size === 0, 5_000);
    expect(landed).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(memory.read(counters, Date.now())[0]).toMatchObject({ used: 60, requests: 5 });
    memory.onModuleDestroy();
  });

  it('keeps at most maxPending, and flush hands what is left to the caller once its time is up', async () => {
    const { storage, memory } = switchable();
    const queue = new SettlementRetryQueue(storage, Date.now, { maxPending: 2, minDelayMs: 5, maxDelayMs: 20 }, new Logger('test'));
    const landed: string[] = [];
    expect(queue.add(entry('a', 1, landed))).toBe(true);
    expect(queue.add(entry('b', 2, landed))).toBe(true);
    expect(queue.add(entry('c', 3, landed))).toBe(false);
    const dropped: string[] = [];
    const started = Date.now();
    expect(await queue.flush(100, (e) => dropped.push(e.request.id))).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(dropped).toEqual(['a', 'b']);
    expect(queue.add(entry('d', 4, landed))).toBe(false); // closed after a flush
    memory.onModuleDestroy();
  });
});
