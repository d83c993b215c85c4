import type { RateHit, RateHitRequest, RateWindowStore } from './rate-window.interface';

interface Window {
  start: number;
  hits: number;
  /** Burst granted to this window when it opened. */
  extra: number;
  windowMs: number;
}

/**
 * In-process rate windows: one small record per key, O(1) per hit, whatever the rate. Records of
 * windows that can no longer matter (two windows old) are dropped by one unref()-ed sweep timer.
 */
export class MemoryRateWindow implements RateWindowStore {
  private readonly windows = new Map<string, Window>();
  private readonly sweepTimer: NodeJS.Timeout;
  private latestNow = 0;

  constructor(sweepIntervalMs = 60_000) {
    this.sweepTimer = setInterval(() => this.sweep(this.latestNow), sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Number of windows held (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  hit({ key, windowMs, limit, burst, now }: RateHitRequest): RateHit {
    if (now > this.latestNow) this.latestNow = now;
    let window = this.windows.get(key);
    if (!window) {
      window = { start: now, hits: 0, extra: Math.min(burst, limit), windowMs };
      this.windows.set(key, window);
    } else if (now >= window.start + window.windowMs) {
      const adjacent = now < window.start + 2 * window.windowMs;
      const previousHits = adjacent ? window.hits : 0;
      window.start = adjacent ? window.start + window.windowMs : now;
      window.hits = 0;
      window.extra = Math.min(burst, Math.max(0, limit - previousHits));
    }
    window.windowMs = windowMs;
    const effective = limit + window.extra;
    const admitted = window.hits < effective;
    if (admitted) window.hits++;
    return { admitted, hits: window.hits, limit: effective, resetAt: window.start + windowMs };
  }

  /** Drops windows that ended more than one window ago. */
  sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (now >= window.start + 2 * window.windowMs) this.windows.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.windows.clear();
  }
}
