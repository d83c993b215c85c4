import fc from 'fast-check';
import { COUNTER_CASES, counterCaseArb, expectedOutcome, runCase } from './fixtures/counter-cases';
import { fuzzParams } from './fixtures/fuzz';
import { makeStorage, SHARED_KINDS, uniquePrefix } from './fixtures/storages';

/**
 * The Lua scripts pinned to the pure counter arithmetic (libs/token-budget/src/storage/counter-arithmetic.ts):
 * the cases of its spec, built by ordinary operations on a real redis-server and a real 3-master
 * Cluster, must read, reserve and commit to exactly what the module computes (and what MemoryAdapter
 * does, in the unit spec).
 */
describe.each(SHARED_KINDS)('RedisAdapter scripts follow the counter arithmetic (%s)', (kind) => {
  let store: ReturnType<typeof makeStorage>;
  beforeAll(() => (store = makeStorage(kind, 'app')));
  afterAll(() => store.close());

  it.each(COUNTER_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await runCase(store.storage, c, uniquePrefix())).toEqual(expectedOutcome(c));
  });

  it('for arbitrary cases (property)', async () => {
    await fc.assert(
      fc.asyncProperty(counterCaseArb, async (c) => {
        expect(await runCase(store.storage, c, uniquePrefix())).toEqual(expectedOutcome(c));
      }),
      fuzzParams(200),
    );
  });
});
