/**
 * The layout every RedisAdapter script shares (one Lua script per operation, one round trip each,
 * in this folder: `<operation>.script.ts`; their common Lua functions in `prelude.ts`). Keys are
 * built by the key schema (`keys.ts`); the arithmetic the scripts compute (effective limits,
 * strict/clamp admission, rollover bonus, overrides, thresholds, lease lapse) is the one stated in
 * `../counter-arithmetic.ts`, and `test/counter-arithmetic.e2e-spec.ts` holds them to it.
 *
 * KEYS come in sevens per counter: the counter hash, its lease sorted set, the previous period's
 * counter hash and its lease set (the counter's own keys when there is no previous period), the
 * subject's limit override hash, and the rule's token and money rankings for the period (the
 * counter's own key in their place when the rankings are written outside the script: on a
 * Cluster they live on another slot).
 * ARGV starts with fixed arguments, then eight per counter: limit, maxCarryover, expireAt (epoch ms,
 * 0 = never), costLimit, override field ('' = none), soft (1 or 0), thresholds (comma-separated
 * fractions, '' = none), ranking member.
 *
 * Time: every script's first ARGV is `now`. `0` means the Redis server's clock (`TIME`, read inside
 * the script): lease expiry, lease ends and record expiry (PEXPIRE expireAt - now) are then decided
 * by one clock for every app instance. A positive `now` is the app's clock (RedisAdapter
 * `timeSource: 'app'`, for tests that travel in time). Lease lengths are passed as durations, so a
 * lease ends `leaseMs` after the script's own `now`.
 *
 * Lapsed leases: a script drops at most SWEEP_BATCH of them per call (bounded work); the reserve and
 * read scripts answer "sweep pending" instead of figures while lapsed leases remain on a counter they
 * decide on, and the adapter calls them again, so every answer leaves all lapsed leases out.
 *
 * Counter hash fields, tokens: `used`, `reserved`, `limit` (in force at the last write, read by the
 * next period's rollover), `bonus` (rollover of this period, fixed at its first write), `g`
 * (granted credits), `r:<id>` (a reservation's tokens); money in integer nano-dollars: `cused`,
 * `creserved`, `climit`, `cg` (granted), `c:<id>` (a reservation's money); `n`, the committed
 * calls; `th:t:<fraction>` / `th:c:<fraction>`, the thresholds already reported this period;
 * `p:<id>` (`"<tokens>,<nanos>"`), the usage a cross-slot commit is about to count beside that
 * reservation's hold (a hold that lapses with it is charged it by the sweep, not dropped); `k:<id>`,
 * a reservation already committed (kept `COMMITTED_ID_RETENTION_MS`, so a retried commit counts
 * once). The override hash has `t:<rule>` and `c:<rule>`. The lease set scores reservation ids by
 * the epoch ms they lapse at (a committed id: the epoch ms its `k:<id>` mark goes).
 *
 * Numbers: every stored figure is an integer in [0, 2^53 - 1] (Lua numbers are doubles, exact up to
 * there; Redis's own integers are 64-bit). Amounts given to a script are at most 2^53 - 1 (checked
 * in TypeScript); a sum stored past 2^53 - 1 (HINCRBY is exact in Redis, its value is not in Lua)
 * is saturated back to 2^53 - 1, and sums compared in Lua are saturated the same way (a double
 * rounds monotonically, so min(sum, MAX) is exact).
 *
 * A counter's state is returned as ten numbers: used, reserved, bonus, cused, creserved, n, g, cg,
 * limit, climit (the last two with overrides applied).
 */

/**
 * How long a counter remembers that a reservation id was committed, in ms: a commit retried within
 * this time after one that landed (its reply lost to a timeout) counts nothing again.
 */
export const COMMITTED_ID_RETENTION_MS = 600_000;

/** Keys per counter in every script. */
export const KEYS_PER_COUNTER = 7;
/** ARGV entries per counter (after a script's fixed arguments). */
export const ARGS_PER_COUNTER = 8;
/** Numbers per counter state in a reply. */
export const STATE_WIDTH = 10;
/** Lapsed leases one script call drops at most (all counters together). */
export const SWEEP_BATCH = 1000;
/** First number of a reserve or read reply that asks to be called again (lapsed leases remain). */
export const SWEEP_PENDING = 2;
