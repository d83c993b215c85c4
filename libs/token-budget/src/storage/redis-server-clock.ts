import { performance } from 'node:perf_hooks';
import type { IoredisCluster as Cluster, IoredisClient as Redis } from './redis-client';

/** How often the server's time is asked again (the monotonic clock drifts by microseconds meanwhile). */
const RESYNC_MS = 10_000;

/**
 * The Redis server's clock as seen from this process: one `TIME` now and then, the offset to the
 * process's monotonic clock kept in between (so a step of the machine's wall clock changes
 * nothing). Off by at most half the round trip of the last `TIME`. Before the first answer (or
 * while Redis has never answered) it reads `Date.now()`.
 */
export class RedisServerClock {
  private offset: number | undefined;
  private askedAt = -Infinity;
  private pending: Promise<void> | undefined;

  constructor(private readonly client: Redis | Cluster) {}

  /** Epoch ms of the Redis server, as estimated now. */
  now(): number {
    const local = performance.now();
    if (local - this.askedAt >= RESYNC_MS) void this.sync();
    return this.offset === undefined ? Date.now() : Math.floor(local + this.offset);
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
