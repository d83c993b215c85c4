import assert from 'node:assert/strict';
import { CaseDefinition, ConformanceContext, figures, figuresOf } from './conformance-context';

/** A clamp of 30 over two counters with 40 and 10 tokens of room: it holds 10. */
async function clampAcrossTwo(ctx: ConformanceContext) {
  const a = ctx.counter('a', { limit: 100 });
  const b = ctx.counter('b', { limit: 50 });
  await ctx.commit([a], 60);
  await ctx.commit([b], 40);
  const clamped = await ctx.admit([a, b], 30, { policy: 'clamp' });
  assert.equal(clamped.held, 10);
  return { a, b, clamped };
}

/** Admission: the edge of each limit, the E = 0 rule, strict and clamp, all counters or none. */
export const ADMISSION_CASES: CaseDefinition[] = [
  {
    name: 'reads a counter never written as empty, with its limits in force',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100, costLimit: 5_000 });
      const [state] = await ctx.read([counter]);
      assert.deepEqual(figuresOf(state), figures({}));
      if (state.limit !== undefined) assert.equal(state.limit, 100, 'state.limit is the limit in force');
      if (state.costLimit !== undefined) assert.equal(state.costLimit, 5_000, 'state.costLimit is the money limit in force');
    },
  },
  {
    name: 'admits an estimate that fills the token limit exactly (used + reserved + E = limit) and refuses one token more',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100 });
      await ctx.commit([counter], 30);
      const first = await ctx.admit([counter], 50);
      assert.equal(first.held, 50);
      const [after] = first.states;
      assert.deepEqual([after.used, after.reserved], [30, 50], 'the reply shows the hold');
      const refusal = await ctx.refuse([counter], 21);
      assert.equal(refusal.index, 0);
      assert.equal(refusal.dimension, 'tokens');
      assert.deepEqual([refusal.state.used, refusal.state.reserved], [30, 50], 'the refusal shows the counter that refused');
      await ctx.admit([counter], 20);
      assert.deepEqual(await ctx.figures([counter]), [figures({ used: 30, reserved: 70, requests: 1 })]);
      await ctx.refuse([counter], 1);
    },
  },
  {
    name: 'with an estimate of 0, admits while used + reserved < limit and refuses at the limit, holding nothing',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 10 });
      const zero = await ctx.admit([counter], 0);
      assert.equal(zero.held, 0);
      await ctx.commit([counter], 9);
      await ctx.admit([counter], 0);
      assert.deepEqual(await ctx.figures([counter]), [figures({ used: 9, requests: 1 })], 'an admitted estimate of 0 holds nothing');
      const held = await ctx.admit([counter], 1);
      assert.equal((await ctx.refuse([counter], 0)).dimension, 'tokens', 'used + reserved = limit refuses E = 0');
      await ctx.release([counter], held.id);
      await ctx.commit([counter], 1);
      await ctx.refuse([counter], 0);
    },
  },
  {
    name: 'admits a cost that fills the money limit exactly and refuses one nano-dollar more, naming the cost dimension',
    async run(ctx) {
      const counter = ctx.counter('a', { costLimit: 1_000_000 });
      const first = await ctx.admit([counter], 0, { cost: 600_000 });
      assert.equal(first.heldCost, 600_000);
      const refusal = await ctx.refuse([counter], 0, { cost: 400_001 });
      assert.equal(refusal.dimension, 'cost');
      await ctx.admit([counter], 5, { cost: 400_000 });
      assert.deepEqual(await ctx.figures([counter]), [figures({ reserved: 5, costReserved: 1_000_000 })]);
      assert.equal((await ctx.refuse([counter], 0, { cost: 0 })).dimension, 'cost', 'a cost of 0 is refused at the money limit');
    },
  },
  {
    name: 'a limit of 0 is unlimited in its dimension, and usage is still counted',
    async run(ctx) {
      const unlimited = ctx.counter('a');
      const moneyOnly = ctx.counter('b', { costLimit: 100 });
      await ctx.admit([unlimited, moneyOnly], 1_000_000_000_000, { cost: 100 });
      await ctx.commit([unlimited, moneyOnly], 2_000_000_000_000, { cost: 100 });
      await ctx.admit([unlimited], 5_000_000_000_000, { cost: 9_000_000 });
      assert.equal((await ctx.refuse([unlimited, moneyOnly], 1, { cost: 1 })).index, 1);
      const [a, b] = await ctx.figures([unlimited, moneyOnly]);
      assert.equal(a.used, 2_000_000_000_000);
      assert.equal(b.costUsed, 100);
    },
  },
  {
    name: 'strict refuses an estimate that does not fit; clamp holds what is left and refuses only when nothing is left',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100, costLimit: 1_000 });
      await ctx.commit([counter], 70, { cost: 900 });
      await ctx.refuse([counter], 50);
      await ctx.refuse([counter], 10, { cost: 500, policy: 'strict' });
      const clamped = await ctx.admit([counter], 50, { cost: 500, policy: 'clamp' });
      assert.deepEqual({ held: clamped.held, heldCost: clamped.heldCost }, { held: 30, heldCost: 100 });
      assert.deepEqual(await ctx.figures([counter]), [figures({ used: 70, reserved: 30, costUsed: 900, costReserved: 100, requests: 1 })]);
      await ctx.refuse([counter], 1, { policy: 'clamp' });
      await ctx.release([counter], clamped.id);
      const small = await ctx.admit([counter], 10, { cost: 20, policy: 'clamp' });
      assert.deepEqual([small.held, small.heldCost], [10, 20], 'clamp holds the whole estimate when it fits');
    },
  },
  {
    name: 'clamp holds the smallest room of all counters, and its commit settles every counter',
    async run(ctx) {
      const { a, b, clamped } = await clampAcrossTwo(ctx);
      assert.equal((await ctx.figures([b]))[0].reserved, 10, 'the tightest counter is filled, not passed');
      await ctx.commit([a, b], 10, { id: clamped.id });
      assert.deepEqual(
        (await ctx.figures([a, b])).map((f) => [f.used, f.reserved]),
        [
          [70, 0],
          [50, 0],
        ],
      );
    },
  },
  {
    name: 'a refusal on any counter holds nothing on any counter, and names the counter and dimension that refused',
    async run(ctx) {
      for (let full = 0; full < 3; full++) {
        const counters = ['a', 'b', 'c'].map((s) => ctx.counter(`${s}${full}`, { limit: 100, costLimit: 1_000 }));
        await ctx.commit([counters[full]], 95);
        const refusal = await ctx.refuse(counters, 10, { cost: 10 });
        assert.deepEqual({ index: refusal.index, dimension: refusal.dimension }, { index: full, dimension: 'tokens' });
        const states = await ctx.figures(counters);
        assert.deepEqual(
          states.map((s) => [s.reserved, s.costReserved]),
          [
            [0, 0],
            [0, 0],
            [0, 0],
          ],
          `nothing is held after counter ${full} refused`,
        );
        await ctx.admit(counters, 5, { cost: 10 });
      }
      const counters = ['x', 'y'].map((s) => ctx.counter(s, { limit: 100, costLimit: 1_000 }));
      await ctx.commit([counters[1]], 0, { cost: 995 });
      const refusal = await ctx.refuse(counters, 10, { cost: 10 });
      assert.deepEqual({ index: refusal.index, dimension: refusal.dimension }, { index: 1, dimension: 'cost' });
      assert.deepEqual(
        (await ctx.figures(counters)).map((s) => [s.reserved, s.costReserved]),
        [
          [0, 0],
          [0, 0],
        ],
      );
    },
  },
  {
    name: 'a soft counter never refuses: it holds and counts past its limit',
    async run(ctx) {
      const soft = ctx.counter('a', { limit: 10, costLimit: 10, soft: true });
      const strict = ctx.counter('b', { limit: 100 });
      const held = await ctx.admit([soft, strict], 50, { cost: 50 });
      assert.deepEqual({ held: held.held, heldCost: held.heldCost }, { held: 50, heldCost: 50 });
      await ctx.commit([soft, strict], 60, { id: held.id, cost: 60 });
      await ctx.admit([soft], 10, { cost: 10, policy: 'clamp' });
      const [state] = await ctx.figures([soft]);
      assert.deepEqual({ used: state.used, costUsed: state.costUsed, reserved: state.reserved }, { used: 60, costUsed: 60, reserved: 10 });
    },
  },
  {
    name: 'under clamp every counter holds the same amount, none keeps a larger hold than the smallest room',
    async run(ctx) {
      const { a, b } = await clampAcrossTwo(ctx);
      assert.deepEqual(
        (await ctx.figures([a, b])).map((f) => f.reserved),
        [10, 10],
      );
    },
  },
];
