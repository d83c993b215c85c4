import assert from 'node:assert/strict';
import { CaseDefinition } from './conformance-context';

/** Rollover, per-subject overrides, credits and thresholds: what a period's effective limit is. */
export const PERIOD_CASES: CaseDefinition[] = [
  {
    name:
      'the rollover bonus is min(previous unused, maxCarryover), the previous effective limit counting, ' +
      'and adds to the token limit (money does not roll over)',
    async run(ctx) {
      const previous = (subject: string, period = '2026-10') => ctx.counter(subject, { limit: 100 }, period);
      const current = (subject: string, maxCarryover: number, previousKey: string, period?: string) =>
        ctx.counter(subject, { limit: 100, maxCarryover, previousKey }, period);

      await ctx.commit([previous('a')], 30);
      const a = current('a', 50, previous('a').key);
      assert.equal((await ctx.read([a]))[0].carryover, 50, 'capped at maxCarryover');
      await ctx.admit([a], 150);
      await ctx.refuse([a], 1);

      await ctx.commit([previous('b')], 80);
      assert.equal((await ctx.read([current('b', 50, previous('b').key)]))[0].carryover, 20, 'the unused part when it is smaller');

      await ctx.commit([previous('c')], 150);
      assert.equal((await ctx.read([current('c', 50, previous('c').key)]))[0].carryover, 0, 'nothing from a period used past its limit');

      // September unused 100 -> October bonus 80 (its cap); October used 10 of 180 -> November bonus 170
      const september = previous('d', '2026-09');
      const october = current('d', 80, september.key, '2026-10');
      await ctx.commit([september], 0);
      await ctx.commit([october], 10);
      assert.equal((await ctx.read([october]))[0].carryover, 80);
      const november = current('d', 500, october.key);
      assert.equal((await ctx.read([november]))[0].carryover, 170, "the previous period's own bonus is part of its unused");

      // money does not roll over: an unspent October leaves November's money limit as it is
      const spent = ctx.counter('e', { limit: 100, costLimit: 1_000 }, '2026-10');
      await ctx.commit([spent], 0);
      const money = ctx.counter('e', { limit: 100, costLimit: 100, maxCarryover: 50, previousKey: spent.key });
      assert.equal((await ctx.refuse([money], 1, { cost: 101 })).dimension, 'cost');
    },
  },
  {
    name:
      'no rollover bonus without a record in the immediately preceding period (no chaining over idle periods), ' +
      'with maxCarryover 0, or after an unlimited period',
    async run(ctx) {
      const september = ctx.counter('a', { limit: 100 }, '2026-09');
      await ctx.commit([september], 0);
      const idleOctober = ctx.counter('a', { limit: 100, maxCarryover: 50, previousKey: september.key }, '2026-10');
      const november = ctx.counter('a', { limit: 100, maxCarryover: 50, previousKey: idleOctober.key });
      assert.equal((await ctx.read([november]))[0].carryover, 0, 'an idle October breaks the chain');
      await ctx.commit([november], 1);
      assert.equal((await ctx.read([november]))[0].carryover, 0, 'and a write does not find one');

      const previous = ctx.counter('b', { limit: 100 }, '2026-10');
      await ctx.commit([previous], 0);
      const noCarryover = ctx.counter('b', { limit: 100, maxCarryover: 0, previousKey: previous.key });
      assert.equal((await ctx.read([noCarryover]))[0].carryover, 0, 'maxCarryover 0');

      const unlimited = ctx.counter('c', { limit: 0 }, '2026-10');
      await ctx.commit([unlimited], 5);
      const afterUnlimited = ctx.counter('c', { limit: 100, maxCarryover: 50, previousKey: unlimited.key });
      assert.equal((await ctx.read([afterUnlimited]))[0].carryover, 0, 'after an unlimited period');
    },
  },
  {
    name: "the rollover bonus is fixed at the period's first write (later use of the previous period does not change it)",
    async run(ctx) {
      const previous = ctx.counter('a', { limit: 100 }, '2026-10');
      const current = ctx.counter('a', { limit: 100, maxCarryover: 50, previousKey: previous.key });
      await ctx.commit([previous], 10);
      await ctx.commit([current], 5);
      await ctx.commit([previous], 60);
      assert.equal((await ctx.read([current]))[0].carryover, 50);
      await ctx.admit([current], 145);
      await ctx.refuse([current], 1);
    },
  },
  {
    name: 'a per-subject override replaces the token and money limits (null removes it, undefined leaves it) and touches no other subject',
    needs: ['setLimit'],
    async run(ctx) {
      const setLimit = ctx.adapter.setLimit!.bind(ctx.adapter);
      const a = ctx.counter('a', { limit: 10, costLimit: 1_000, override: ctx.override('a') });
      const b = ctx.counter('b', { limit: 10, costLimit: 1_000, override: ctx.override('b') });
      await setLimit({ ...ctx.override('a'), tokens: 3 });
      await ctx.refuse([a], 4);
      const held = await ctx.admit([a], 3);
      const [state] = await ctx.read([a]);
      if (state.limit !== undefined) assert.equal(state.limit, 3, 'state.limit is the override');
      await ctx.release([a], held.id);
      await ctx.admit([b], 10, { cost: 1_000 });

      await setLimit({ ...ctx.override('a'), cost: 50 });
      assert.equal((await ctx.refuse([a], 1, { cost: 51 })).dimension, 'cost');
      assert.equal((await ctx.refuse([a], 4, { cost: 1 })).dimension, 'tokens', 'the token override is left as it was');

      await setLimit({ ...ctx.override('a'), tokens: null });
      const restored = await ctx.admit([a], 10, { cost: 50 });
      await ctx.release([a], restored.id);
      await setLimit({ ...ctx.override('a'), cost: null });
      await ctx.admit([a], 10, { cost: 1_000 });
      const [after] = await ctx.read([a]);
      if (after.costLimit !== undefined) assert.equal(after.costLimit, 1_000, "state.costLimit is the rule's again");
    },
  },
  {
    name: "granted credits add to the period's room in tokens and in money, and count toward the next period's bonus",
    needs: ['grant'],
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 10, costLimit: 100 });
      await ctx.commit([counter], 10, { cost: 100 });
      await ctx.refuse([counter], 1);
      const states = await ctx.adapter.grant!({ counters: [counter], tokens: 5, cost: 7, now: ctx.now() });
      assert.equal(states.length, 1);
      if (states[0].granted !== undefined) assert.deepEqual([states[0].granted, states[0].costGranted], [5, 7]);
      const held = await ctx.admit([counter], 5, { cost: 7 });
      await ctx.refuse([counter], 1);
      await ctx.refuse([counter], 0, { cost: 1 });
      await ctx.release([counter], held.id);
      const next = ctx.counter('a', { limit: 10, maxCarryover: 100, previousKey: counter.key }, '2026-12');
      assert.equal((await ctx.read([next]))[0].carryover, 5);
    },
  },
  {
    name: 'each threshold is reported once per period, by the commit that reaches it, in tokens and in money',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100, costLimit: 1_000, thresholds: [0.5, 0.9] });
      const crossed = async (amount: number, cost: number) => (await ctx.commit([counter], amount, { cost })).crossed[0];
      assert.deepEqual(await crossed(40, 0), []);
      const both = await crossed(10, 600);
      assert.deepEqual(
        [...both].sort((x, y) => x.dimension.localeCompare(y.dimension)),
        [
          { fraction: 0.5, dimension: 'cost' },
          { fraction: 0.5, dimension: 'tokens' },
        ],
      );
      assert.deepEqual(await crossed(45, 0), [{ fraction: 0.9, dimension: 'tokens' }]);
      assert.deepEqual(await crossed(1, 0), []);
      assert.deepEqual(await crossed(0, 400), [{ fraction: 0.9, dimension: 'cost' }]);
      const other = ctx.counter('b', { limit: 100, thresholds: [0.5] });
      const { crossed: perCounter } = await ctx.commit([counter, other], 60);
      assert.deepEqual(perCounter, [[], [{ fraction: 0.5, dimension: 'tokens' }]], 'per counter, in request order');
    },
  },
  {
    name: 'of many concurrent commits, exactly one reports each threshold crossed',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100, thresholds: [0.5, 0.8, 1] });
      const results = await Promise.all(Array.from({ length: 20 }, () => ctx.commit([counter], 10)));
      const reported = results.flatMap((r) => r.crossed[0].map((c) => c.fraction)).sort((x, y) => x - y);
      assert.deepEqual(reported, [0.5, 0.8, 1]);
      assert.equal((await ctx.read([counter]))[0].used, 200);
    },
  },
];
