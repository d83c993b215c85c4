import fc from 'fast-check';
import { RedisAdapter } from 'nestjs-token-budget';
import { fuzzParams, nearPairArb, subjectIdArb, unescapeId } from './fixtures/fuzz';
import { budgetService } from './fixtures/service';
import { testRedis, uniquePrefix } from './fixtures/storages';

// cluster-key-slot (an ioredis dependency) is what ioredis routes Cluster commands with
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

const RUNS = 40;

describe('arbitrary subject ids on RedisAdapter (property)', () => {
  const redis = testRedis();
  afterAll(async () => void (await redis.quit()));

  it('spend on one id never shows on another, and every key of a subject is on its hash tag slot', async () => {
    const pairArb = fc
      .tuple(fc.oneof(fc.tuple(subjectIdArb, subjectIdArb), nearPairArb), fc.integer({ min: 1, max: 1_000 }))
      .map(([[a, b], tokens]) => [a, b, tokens] as const)
      .filter(([a, b]) => a !== b && a !== '' && b !== '');
    await fc.assert(
      fc.asyncProperty(pairArb, async ([a, b, tokens]) => {
        const prefix = uniquePrefix();
        const env = await budgetService({
          storage: new RedisAdapter(redis),
          keyPrefix: prefix,
          maxIdLength: 10_000,
          budgets: [
            { scope: 'user', period: 'day', tokens: 5_000 },
            { scope: 'tenant', period: 'month', tokens: 50_000, rollover: { enabled: true } },
          ],
        });
        try {
          await env.budgets.record({ user: a, tenant: a }, tokens);
          const [userA, tenantA] = await env.budgets.getUsage({ user: a, tenant: a });
          const [userB, tenantB] = await env.budgets.getUsage({ user: b, tenant: b });
          expect([userA.used, tenantA.used, userB.used, tenantB.used]).toEqual([tokens, tokens, 0, 0]);
          expect([userA.id, userB.id]).toEqual([a, b]);
          const keys = await redis.keys(`${prefix}:budget:*`);
          expect(keys.length).toBeGreaterThanOrEqual(2);
          for (const key of keys) {
            // the hash tag Redis Cluster routes by: from the first '{' to the next '}'
            const open = key.indexOf('{');
            const tag = key.slice(open + 1, key.indexOf('}', open + 1));
            const scope = tag.slice(0, tag.indexOf(':'));
            expect(['user', 'tenant']).toContain(scope);
            expect(unescapeId(tag.slice(scope.length + 1))).toBe(a);
            expect(calculateSlot(key)).toBe(calculateSlot(tag));
          }
        } finally {
          await env.close();
        }
      }),
      fuzzParams(RUNS),
    );
  });
});
