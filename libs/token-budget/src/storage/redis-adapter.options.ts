/** Whose clock decides lease expiry, rate windows and period boundaries on Redis. */
export type RedisTimeSource = 'server' | 'app';

/** Settings of the RedisAdapter itself (the client's are in its input). */
export interface RedisAdapterOptions {
  /**
   * `'server'`: every time-based decision goes by the Redis server's clock (`TIME`, read inside the
   * scripts), and BudgetService builds period keys from an estimate of it, so app instances whose
   * clocks disagree still share one budget, one lease clock and one rate window. `'app'`: the
   * module's `clock` decides, as on MemoryAdapter (for tests that travel in time; on several
   * instances their clocks must agree).
   * @default 'server'
   * @example new RedisAdapter(redis, { timeSource: 'app' }) // with TokenBudgetModule's clock: testClock
   */
  timeSource?: RedisTimeSource;
}
