import assert from 'node:assert/strict';
import type { RateHit } from '../storage/rate-window.interface';
import { CaseDefinition } from './conformance-context';

/** A rate window short enough to wait for on the adapter's own clock. */
const WAITED_WINDOW_MS = 2_000;
const CLOCK_MARGIN_MS = 100;

/** The adapter's own clock (`now()`) and its rate windows (`hit()`), when it has them. */
export const CLOCK_RATE_CASES: CaseDefinition[] = [
  {
    name: 'now() reads epoch ms that never go backwards',
    needs: ['now'],
    async run(ctx) {
      const readings = Array.from({ length: 200 }, () => ctx.adapter.now!());
      for (const at of readings) assert.ok(Number.isFinite(at) && at > Date.UTC(2020, 0, 1), `now() answered ${at}`);
      for (let i = 1; i < readings.length; i++) {
        assert.ok(readings[i] >= readings[i - 1], `now() went back from ${readings[i - 1]} to ${readings[i]}`);
      }
    },
  },
  {
    name: 'a rate window admits limit hits and refuses the next without counting it',
    needs: ['hit'],
    async run(ctx) {
      const request = { key: `${ctx.prefix}:rate:{user:a}`, windowMs: 600_000, limit: 3, burst: 0 };
      const hits: RateHit[] = [];
      for (let i = 0; i < 5; i++) hits.push(await ctx.hit(request));
      assert.deepEqual(
        hits.map((h) => [h.admitted, h.hits, h.limit]),
        [
          [true, 1, 3],
          [true, 2, 3],
          [true, 3, 3],
          [false, 3, 3],
          [false, 3, 3],
        ],
      );
      const opened = hits[0].now ?? ctx.now();
      assert.ok(Math.abs(hits[0].resetAt - (opened + 600_000)) < 5_000, 'the window ends windowMs after its first hit');
      assert.ok(hits.every((h) => h.resetAt === hits[0].resetAt));
      const other = await ctx.hit({ ...request, key: `${ctx.prefix}:rate:{user:b}` });
      assert.deepEqual([other.admitted, other.hits], [true, 1], 'keys count apart');
    },
  },
  {
    name: 'concurrent hits on one rate window never pass its limit',
    needs: ['hit'],
    async run(ctx) {
      const request = { key: `${ctx.prefix}:rate:{user:a}`, windowMs: 600_000, limit: 17, burst: 0 };
      const hits = await Promise.all(Array.from({ length: 50 }, () => ctx.hit(request)));
      assert.equal(hits.filter((h) => h.admitted).length, 17);
      const counted = hits.filter((h) => h.admitted).map((h) => h.hits);
      assert.deepEqual(
        counted.sort((x, y) => x - y),
        Array.from({ length: 17 }, (_, i) => i + 1),
      );
    },
  },
  {
    name: "the next rate window opens at the previous one's end, with min(burst, its unused hits) on top of the limit",
    needs: ['hit'],
    async run(ctx) {
      const windowMs = ctx.ownClock ? WAITED_WINDOW_MS : 60_000;
      const request = { key: `${ctx.prefix}:rate:{user:a}`, windowMs, limit: 3, burst: 1 };
      const first = await ctx.hit({ ...request, burst: 0 });
      assert.equal(first.limit, 3, 'a first window has no previous one to take a burst from');
      // a little past the end: an adapter's estimate of its server's clock can run a few ms ahead of it
      await ctx.reach(first.resetAt + CLOCK_MARGIN_MS);
      const next = await ctx.hit(request);
      assert.deepEqual([next.admitted, next.hits, next.limit], [true, 1, 4], 'one burst hit, of the two left unused');
      assert.equal(next.resetAt, first.resetAt + windowMs, 'the next window follows the previous one directly');
      for (let i = 0; i < 3; i++) assert.equal((await ctx.hit(request)).admitted, true);
      assert.equal((await ctx.hit(request)).admitted, false);
    },
  },
];
