import assert from 'node:assert/strict';
import type { BudgetCounter, StorageAdapter } from '../storage/storage-adapter.interface';
import { CaseDefinition, ConformanceContext, figures } from './conformance-context';

/** A lease the kit lets lapse: short on the adapter's own clock (waited for), any length on the virtual one. */
const SHORT_LEASE_MS = 3_000;

/** Waits until the hold `id` of `amount` tokens no longer counts on `counter`, whose other holds total `others`. */
async function lapse(ctx: ConformanceContext, counter: BudgetCounter, leaseUntil: number, others: number): Promise<void> {
  const left = async () => (await ctx.figures([counter]))[0].reserved;
  if (ctx.ownClock) return ctx.waitFor('the lapsed hold to stop counting', async () => (await left()) === others);
  const [before] = await ctx.figures([counter], leaseUntil - 1);
  assert.ok(before.reserved > others, 'a hold counts until its lease ends');
  await ctx.reach(leaseUntil);
  assert.equal(await left(), others, 'a hold stops counting when its lease ends');
}

/** Commit, release, lease expiry, delete; renew and idempotent commits when the adapter has them. */
export const SETTLEMENT_CASES: CaseDefinition[] = [
  {
    name: 'commit replaces the hold by the actual usage and cost, counts one request, and returns each state in request order',
    async run(ctx) {
      const a = ctx.counter('a', { limit: 100, costLimit: 10_000 });
      const b = ctx.counter('b', { limit: 1_000 });
      const under = await ctx.admit([a, b], 50, { cost: 5_000 });
      const result = await ctx.commit([a, b], 20, { id: under.id, cost: 2_000 });
      assert.deepEqual(
        result.states.map((s) => [s.used, s.reserved, s.costUsed, s.costReserved, s.requests]),
        [
          [20, 0, 2_000, 0, 1],
          [20, 0, 2_000, 0, 1],
        ],
      );
      const over = await ctx.admit([a], 10, { cost: 100 });
      await ctx.commit([a], 40, { id: over.id, cost: 3_000 });
      assert.deepEqual(await ctx.figures([a, b]), [
        figures({ used: 60, costUsed: 5_000, requests: 2 }),
        figures({ used: 20, costUsed: 2_000, requests: 1 }),
      ]);
    },
  },
  {
    name: 'a commit of an unknown reservation id still counts its usage (a late commit)',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100 });
      const held = await ctx.admit([counter], 30);
      await ctx.commit([counter], 12, { id: 'never-reserved', cost: 7 });
      const after = figures({ used: 12, reserved: 30, costUsed: 7, requests: 1 });
      assert.deepEqual(await ctx.figures([counter]), [after], 'the other hold stays');
      await ctx.release([counter], held.id);
    },
  },
  {
    name: 'release drops the hold without counting usage; releasing again, or an unknown id, changes nothing',
    async run(ctx) {
      const a = ctx.counter('a', { limit: 100 });
      const b = ctx.counter('b', { limit: 100 });
      const first = await ctx.admit([a, b], 40, { cost: 9 });
      const second = await ctx.admit([a], 25);
      await ctx.release([a, b], first.id);
      assert.deepEqual(await ctx.figures([a, b]), [figures({ reserved: 25 }), figures({})]);
      await ctx.release([a, b], first.id);
      await ctx.release([a, b], 'never-reserved');
      assert.deepEqual(await ctx.figures([a, b]), [figures({ reserved: 25 }), figures({})]);
      await ctx.admit([a], 75);
      await ctx.release([a], second.id);
    },
  },
  {
    name: 'a hold whose lease lapsed stops counting and stops blocking admission; its late commit still counts',
    async run(ctx) {
      const counter = ctx.counter('a', { limit: 100, costLimit: 1_000 });
      const kept = await ctx.admit([counter], 40, { cost: 400 });
      const now = ctx.now();
      const leaseUntil = now + SHORT_LEASE_MS;
      const short = await ctx.admit([counter], 60, { cost: 600, now, leaseUntil });
      await ctx.refuse([counter], 1);
      await lapse(ctx, counter, leaseUntil, 40);
      const [after] = await ctx.figures([counter]);
      assert.deepEqual(after, figures({ reserved: 40, costReserved: 400 }), 'the lapsed hold left tokens and money');
      await ctx.admit([counter], 60, { cost: 600 });
      await ctx.commit([counter], 5, { id: short.id, cost: 50 });
      assert.deepEqual(await ctx.figures([counter]), [figures({ used: 5, reserved: 100, costUsed: 50, costReserved: 1_000, requests: 1 })]);
      await ctx.release([counter], kept.id);
    },
  },
  {
    name: "delete removes the counters' usage and holds",
    async run(ctx) {
      const a = ctx.counter('a', { limit: 100 });
      const b = ctx.counter('b', { limit: 100 });
      await ctx.commit([a, b], 30, { cost: 3 });
      await ctx.admit([a, b], 50);
      await ctx.adapter.delete([a.key]);
      assert.deepEqual(await ctx.figures([a, b]), [figures({}), figures({ used: 30, reserved: 50, costUsed: 3, requests: 1 })]);
      await ctx.admit([a], 100);
    },
  },
  {
    name: 'a commit retried with the same id counts once',
    needs: ['idempotentCommit'],
    async run(ctx) {
      const a = ctx.counter('a', { limit: 100 });
      const b = ctx.counter('b', { limit: 100 });
      const held = await ctx.admit([a, b], 30, { cost: 30 });
      await ctx.commit([a, b], 20, { id: held.id, cost: 20 });
      await ctx.commit([a, b], 20, { id: held.id, cost: 20 });
      const late = ctx.id('late');
      await ctx.commit([a], 7, { id: late });
      await ctx.commit([a], 7, { id: late });
      assert.deepEqual(await ctx.figures([a, b]), [
        figures({ used: 27, costUsed: 20, requests: 2 }),
        figures({ used: 20, costUsed: 20, requests: 1 }),
      ]);
    },
  },
  {
    name: 'renew moves a live lease later, so its hold outlives its first end; it answers false once nothing holds it',
    needs: ['renew'],
    async run(ctx) {
      const adapter = ctx.adapter as Required<Pick<StorageAdapter, 'renew'>>;
      const renew = (id: string, leaseUntil: number) => adapter.renew({ id, counters: [counter], leaseUntil, now: ctx.now() });
      const counter = ctx.counter('a', { limit: 100 });
      const now = ctx.now();
      const leaseUntil = now + SHORT_LEASE_MS;
      const renewed = await ctx.admit([counter], 30, { now, leaseUntil });
      const other = await ctx.admit([counter], 20, { now, leaseUntil });
      const later = ctx.now() + 600_000;
      assert.equal(await renew(renewed.id, later), true, 'renew of a live hold answers true');
      await lapse(ctx, counter, leaseUntil, 30);
      assert.equal((await ctx.figures([counter]))[0].reserved, 30, 'the renewed hold still counts after its first end');
      assert.equal(await renew(other.id, later), false, 'a lapsed hold is not brought back');
      assert.equal((await ctx.figures([counter]))[0].reserved, 30);
      await ctx.release([counter], renewed.id);
      assert.equal(await renew(renewed.id, later), false, 'a released hold is not renewed');
      assert.equal(await renew('never-reserved', later), false);
    },
  },
];
