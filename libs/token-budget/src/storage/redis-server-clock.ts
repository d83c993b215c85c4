import { performance } from 'node:perf_hooks';
import type { IoredisCluster as Cluster, IoredisClient as Redis } from './redis-client';

/** How often the server's time is asked again (the monotonic clock drifts by microseconds meanwhile). */
const RESYNC_MS = 10_000;

/**
 * A resync that moves the estimate back by at most this much is the round trip's error, not the
 * server's clock: the estimate holds still until it catches up instead of going back. A larger
 * step back (the server's clock was set back, a failover to a node whose clock is behind) is taken.
 */
const SMOOTHED_STEP_BACK_MS = 1_000;

/**
 * The Redis server's clock as seen from this process: one `TIME` now and then, the offset to the
 * process's monotonic clock kept in between (so a step of the machine's wall clock changes
 * nothing). Off by at most half the round trip of the last `TIME`, and never going back by such an
 * error at a resync. Before the first answer (or while Redis has never answered) it reads `Date.now()`.
 */
export class RedisServerClock {
  private offset: number | undefined;
  private askedAt = -Infinity;
  private pending: Promise<void> | undefined;
  private last = -Infinity;

  constructor(private readonly client: Redis | Cluster) {}

  /** Epoch ms of the Redis server, as estimated now. */
  now(): number {
    const local = performance.now();
    if (local - this.askedAt >= RESYNC_MS) void this.sync();
    if (this.offset === undefined) return Date.now();
    const estimate = Math.floor(local + this.offset);
    if (estimate < this.last && this.last - estimate <= SMOOTHED_STEP_BACK_MS) return this.last;
    return (this.last = estimate);
  }

  /** Asks the server's time once (concurrent calls share one `TIME`); never rejects. */
  sync(): Promise<void> {
    if (this.pending) return this.pending;
    const sent = performance.now();
    this.askedAt = sent;
    this.pending = this.client
      .time()
      .then(
        ([seconds, micros]) => {
          const received = performance.now();
          this.offset = Number(seconds) * 1000 + Number(micros) / 1000 - (sent + received) / 2;
        },
        () => undefined,
      )
      .finally(() => (this.pending = undefined));
    return this.pending;
  }
}
