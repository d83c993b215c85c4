import assert from 'node:assert/strict';
import { CaseDefinition, figures, rejects } from './conformance-context';

const MAX = Number.MAX_SAFE_INTEGER;

/** Money kept exact, amounts refused before anything is written, and the rankings of `listUsage`. */
export const MONEY_RANKING_CASES: CaseDefinition[] = [
  {
    name: 'money is summed exactly in integer nano-dollars (ten commits of $0.10 are $1.00, large sums to the last unit)',
    async run(ctx) {
      const counter = ctx.counter('a', { costLimit: 1_000_000_000 });
      for (let i = 0; i < 10; i++) await ctx.commit([counter], 1, { cost: 100_000_000 });
      assert.equal((await ctx.read([counter]))[0].costUsed, 1_000_000_000);
      assert.equal((await ctx.refuse([counter], 0, { cost: 0 })).dimension, 'cost', 'exactly at the money limit');
      const large = ctx.counter('b');
      await ctx.commit([large], MAX - 3, { cost: MAX - 3 });
      await ctx.commit([large], 1, { cost: 1 });
      await ctx.commit([large], 1, { cost: 1 });
      const [state] = await ctx.figures([large]);
      assert.deepEqual([state.used, state.costUsed], [MAX - 1, MAX - 1]);
    },
  },
  {
    name: 'sums past 2^53 - 1 stay at 2^53 - 1 instead of rounding',
    async run(ctx) {
      const counter = ctx.counter('a');
      await ctx.commit([counter], MAX, { cost: MAX });
      await ctx.commit([counter], MAX, { cost: MAX });
      const [state] = await ctx.figures([counter]);
      assert.deepEqual([state.used, state.costUsed], [MAX, MAX]);
      await ctx.refuse([ctx.counter('a', { limit: MAX })], 1);
    },
  },
  {
    name: 'refuses an amount or cost that is not a non-negative safe integer, and writes nothing',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 1_000, costLimit: 1_000 });
      for (const bad of [1.5, -1, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY]) {
        const reserve = (amount: number, cost: number) => () =>
          ctx.adapter.reserve({ id: ctx.id(), counters: [counter], amount, cost, leaseUntil: ctx.now() + 60_000, now: ctx.now() });
        const commit = (amount: number, cost: number) => () =>
          ctx.adapter.commit({ id: ctx.id(), counters: [counter], amount, cost, now: ctx.now() });
        await rejects(reserve(bad, 0), `reserve amount ${bad}`);
        await rejects(reserve(1, bad), `reserve cost ${bad}`);
        await rejects(commit(bad, 0), `commit amount ${bad}`);
        await rejects(commit(1, bad), `commit cost ${bad}`);
      }
      assert.deepEqual(await ctx.figures([counter]), [figures({})]);
    },
  },
  {
    name: 'rankings list members by committed tokens and by money, highest first, n of them (0 for all)',
    needs: ['list'],
    async run(ctx) {
      const list = ctx.adapter.list!.bind(ctx.adapter);
      const ranked = (subject: string) => ctx.counter(subject, { limit: 1_000, index: ctx.index(subject) });
      await ctx.commit([ranked('a')], 5, { cost: 50 });
      await ctx.commit([ranked('b')], 9, { cost: 10 });
      await ctx.commit([ranked('c')], 7, { cost: 90 });
      await ctx.commit([ranked('a')], 1, { cost: 1 });
      const { key, costKey } = ctx.index('a');
      assert.deepEqual(await list({ key, limit: 2, now: ctx.now() }), [
        { member: 'b', score: 9 },
        { member: 'c', score: 7 },
      ]);
      assert.deepEqual(await list({ key, limit: 0, now: ctx.now() }), [
        { member: 'b', score: 9 },
        { member: 'c', score: 7 },
        { member: 'a', score: 6 },
      ]);
      assert.deepEqual(await list({ key: costKey, limit: 0, now: ctx.now() }), [
        { member: 'c', score: 90 },
        { member: 'a', score: 51 },
        { member: 'b', score: 10 },
      ]);
      assert.deepEqual(await list({ key: `${key}:never-written`, limit: 0, now: ctx.now() }), []);
    },
  },
  {
    name: 'unindex removes a member from the token and the money ranking',
    needs: ['list', 'unindex'],
    async run(ctx) {
      const list = ctx.adapter.list!.bind(ctx.adapter);
      for (const subject of ['a', 'b', 'c']) await ctx.commit([ctx.counter(subject, { index: ctx.index(subject) })], 10, { cost: 10 });
      const { key, costKey } = ctx.index('b');
      await ctx.adapter.unindex!([{ key, costKey, member: 'b' }]);
      for (const ranking of [key, costKey]) {
        assert.deepEqual((await list({ key: ranking, limit: 0, now: ctx.now() })).map((e) => e.member).sort(), ['a', 'c']);
      }
    },
  },
];
