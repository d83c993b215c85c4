import { AssertionError } from 'node:assert';
import { MemoryAdapter, StorageAdapter } from 'nestjs-token-budget';
import { ConformanceCase, describeStorageAdapter, storageAdapterCases, StorageCapability } from 'nestjs-token-budget/testing';
import type { BudgetCounter, CommitRequest, ReserveRequest, ReserveResult } from '../storage/storage-adapter.interface';

const MEMORY_CAPABILITIES: StorageCapability[] = ['renew', 'grant', 'setLimit', 'list', 'unindex'];

/** A MemoryAdapter whose methods are replaced by `overrides` (given the intact adapter). */
function broken(overrides: (inner: MemoryAdapter) => Partial<StorageAdapter>): () => Closable {
  return () => {
    const inner = new MemoryAdapter();
    const method = (name: StorageCapability) => (inner[name as keyof MemoryAdapter] as (...args: unknown[]) => unknown).bind(inner);
    const bound = Object.fromEntries(MEMORY_CAPABILITIES.map((name) => [name, method(name)]));
    return {
      reserve: (r) => inner.reserve(r),
      commit: (r) => inner.commit(r),
      release: (r) => inner.release(r),
      read: (counters, now) => inner.read(counters, now),
      delete: (keys) => inner.delete(keys),
      ...bound,
      ...overrides(inner),
      close: () => inner.onModuleDestroy(),
    };
  };
}

/** Runs every case; returns the names of those that failed, each failure checked to be an assertion of the kit. */
async function failures(cases: ConformanceCase[]): Promise<string[]> {
  const failed: string[] = [];
  for (const testCase of cases) {
    try {
      await testCase.run();
    } catch (error) {
      if (!(error instanceof AssertionError)) throw new Error(`${testCase.name} failed by a ${String(error)}, not an assertion`);
      failed.push(testCase.name);
    }
  }
  return failed;
}

type Closable = StorageAdapter & { close(): void };
const casesOf = (create: () => Closable) => storageAdapterCases({ create, destroy: (a) => a.close() }, MEMORY_CAPABILITIES);

/** Each broken adapter, with (part of) the name of a case that must catch it. */
const BROKEN: { flaw: string; create: () => Closable; caughtBy: string[] }[] = [
  {
    flaw: 'its reserve ignores the last counter',
    create: broken((inner) => ({
      reserve(r: ReserveRequest) {
        if (r.counters.length < 2) return inner.reserve(r);
        const result = inner.reserve({ ...r, counters: r.counters.slice(0, -1) });
        return result.admitted ? { ...result, states: [...result.states, ...inner.read(r.counters.slice(-1), r.now)] } : result;
      },
    })),
    caughtBy: ['a refusal on any counter holds nothing', 'concurrent reserves across several counters', 'clamp holds the smallest room'],
  },
  {
    flaw: 'a refusal leaves the holds of the counters before the one that refused',
    create: broken((inner) => ({
      reserve(r: ReserveRequest): ReserveResult {
        const result = inner.reserve(r);
        if (!result.admitted && result.index > 0) inner.reserve({ ...r, counters: r.counters.slice(0, result.index), policy: 'clamp' });
        return result;
      },
    })),
    caughtBy: ['a refusal on any counter holds nothing'],
  },
  {
    flaw: 'its commit counts the usage beside the hold instead of in its place',
    create: broken((inner) => ({ commit: (r: CommitRequest) => inner.commit({ ...r, id: `${r.id}-elsewhere` }) })),
    caughtBy: ['commit replaces the hold'],
  },
  {
    flaw: 'an estimate of 0 is admitted at the limit (<= instead of <)',
    create: broken((inner) => ({
      reserve(r: ReserveRequest): ReserveResult {
        if (r.amount > 0 || r.cost > 0) return inner.reserve(r);
        const states = inner.read(r.counters, r.now);
        const full = r.counters.findIndex((c, i) => c.limit > 0 && states[i].used + states[i].reserved > c.limit);
        if (full < 0) return { admitted: true, states, held: 0, heldCost: 0 };
        return { admitted: false, index: full, dimension: 'tokens', state: states[full] };
      },
    })),
    caughtBy: ['with an estimate of 0'],
  },
  {
    flaw: 'its leases never lapse',
    create: broken((inner) => ({ reserve: (r: ReserveRequest) => inner.reserve({ ...r, leaseUntil: Number.MAX_SAFE_INTEGER }) })),
    caughtBy: ['lease lapsed', 'renew moves a live lease'],
  },
  {
    flaw: 'it chains rollover over an idle period (an empty previous period passes on the one before)',
    create: broken((inner) => {
      const before = (key: string) => key.replace(/:2026-(\d\d)$/, (_, m: string) => `:2026-${String(Number(m) - 1).padStart(2, '0')}`);
      const chained = (counters: BudgetCounter[], now: number) =>
        counters.map((c) => {
          if (c.previousKey === undefined) return c;
          const [previous] = inner.read([{ ...c, key: c.previousKey }], now);
          return previous.requests === 0 && previous.used === 0 ? { ...c, previousKey: before(c.previousKey) } : c;
        });
      return {
        read: (counters: BudgetCounter[], now: number) => inner.read(chained(counters, now), now),
        reserve: (r: ReserveRequest) => inner.reserve({ ...r, counters: chained(r.counters, r.now) }),
        commit: (r: CommitRequest) => inner.commit({ ...r, counters: chained(r.counters, r.now) }),
      };
    }),
    caughtBy: ['no rollover bonus without a record in the immediately preceding period'],
  },
  {
    flaw: 'it keeps money in micro-dollars (drops the nano-dollars below)',
    create: broken((inner) => ({ commit: (r: CommitRequest) => inner.commit({ ...r, cost: Math.floor(r.cost / 1_000) * 1_000 }) })),
    caughtBy: ['money is summed exactly'],
  },
  {
    flaw: 'its reserve checks the room, then holds a tick later (a race)',
    create: broken((inner) => ({
      async reserve(r: ReserveRequest): Promise<ReserveResult> {
        const states = inner.read(r.counters, r.now);
        const full = r.counters.findIndex((c, i) => c.limit > 0 && states[i].used + states[i].reserved + r.amount > c.limit);
        await new Promise((resolve) => setImmediate(resolve));
        if (full >= 0) return { admitted: false, index: full, dimension: 'tokens', state: states[full] };
        return inner.reserve({ ...r, counters: r.counters.map((c) => ({ ...c, limit: 0 })) });
      },
    })),
    caughtBy: ['many concurrent reserves on one counter never overshoot'],
  },
];

describe('the storage conformance kit', () => {
  it('passes an intact MemoryAdapter on every case', async () => {
    const cases = casesOf(broken(() => ({})));
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(await failures(cases)).toEqual([]);
  });

  it.each(BROKEN)('fails an adapter whose flaw is: $flaw', async ({ create, caughtBy }) => {
    const failed = await failures(casesOf(create));
    for (const name of caughtBy) expect(failed.filter((f) => f.includes(name))).toHaveLength(1);
    // targeted: most cases still pass, so a failure names the broken rule
    expect(failed.length).toBeLessThan(casesOf(create).length / 2);
  });

  it('registers only the cases of the capabilities found, and names both kinds in the title', () => {
    const titles: string[] = [];
    const names: string[] = [];
    const runner = {
      describe: (title: string, body: () => void) => (titles.push(title), body()),
      it: (name: string) => void names.push(name),
    };
    const withoutRenew = broken(() => ({ renew: undefined }));
    describeStorageAdapter('no renew', { create: withoutRenew, destroy: (a) => a.close() }, runner);
    const title = 'StorageAdapter conformance: no renew (with grant, setLimit, list, unindex; without renew, now, hit, idempotentCommit)';
    expect(titles).toEqual([title]);
    expect(names.filter((n) => n.startsWith('renew'))).toEqual([]);
    expect(names).toContain("granted credits add to the period's room in tokens and in money, and count toward the next period's bonus");
    expect(names).toEqual(storageAdapterCases({ create: withoutRenew }, ['grant', 'setLimit', 'list', 'unindex']).map((c) => c.name));
    expect(names.length).toBe(casesOf(broken(() => ({}))).length - 1);
  });

  it('runs 26 cases on every adapter and one to three more per capability, as the README says', () => {
    const count = (capabilities: StorageCapability[]) => storageAdapterCases({ create: () => new MemoryAdapter() }, capabilities).length;
    expect(count([])).toBe(26);
    const each = { renew: 1, grant: 1, setLimit: 1, list: 1, unindex: 0, now: 1, hit: 3, idempotentCommit: 1 };
    for (const [capability, more] of Object.entries(each)) {
      expect([capability, count([capability as StorageCapability]) - 26]).toEqual([capability, more]);
    }
    expect(count(['list', 'unindex']) - 26).toBe(2);
  });

  it('fails an adapter that lacks a capability it is declared to have', async () => {
    const declared: StorageCapability[] = ['renew', 'list'];
    const options = { create: broken(() => ({ renew: undefined })), destroy: (a: Closable) => a.close(), capabilities: declared };
    const [check] = storageAdapterCases(options, declared);
    expect(check.name).toBe('has the optional methods it is tested for (renew, list)');
    await expect(check.run()).rejects.toThrow('the adapter has no renew');
  });

  it('asks for capabilities when create() answers a Promise', () => {
    const runner = { describe: () => undefined, it: () => undefined };
    const options = { create: async () => new MemoryAdapter(), destroy: (a: MemoryAdapter) => a.onModuleDestroy() };
    expect(() => describeStorageAdapter('async', options, runner)).toThrow(/pass capabilities/);
  });
});
