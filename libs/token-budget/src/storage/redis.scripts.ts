/**
 * Lua scripts of the RedisAdapter, one per operation, each one round trip.
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

const PRELUDE = `
local KPC, APC = ${KEYS_PER_COUNTER}, ${ARGS_PER_COUNTER}
local KEEP_COMMITTED = ${COMMITTED_ID_RETENTION_MS}
local MAX = 9007199254740991

-- the time decisions go by: the app's (a positive ARGV now), else the Redis server's
local function clock_of(arg)
  local now = tonumber(arg)
  if now and now > 0 then return now end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function sat(x)
  if x > MAX then return MAX end
  return x
end

-- HINCRBY that never leaves a figure past MAX
local function incr(hk, field, by)
  local v = redis.call('HINCRBY', hk, field, by)
  if v > MAX then
    redis.call('HSET', hk, field, string.format('%d', MAX))
    return MAX
  end
  return v
end

-- (0 - x, not -x: Lua's -0 would reach HINCRBY as '-0', which Redis refuses)
local function drop_hold(hk, lk, id)
  local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id)
  if h[1] then redis.call('HINCRBY', hk, 'reserved', 0 - tonumber(h[1])) end
  if h[2] then redis.call('HINCRBY', hk, 'creserved', 0 - tonumber(h[2])) end
  redis.call('HDEL', hk, 'r:' .. id, 'c:' .. id, 'p:' .. id, 'k:' .. id)
  redis.call('ZREM', lk, id)
end

-- the tokens and nano-dollars of a prepared commit ("<tokens>,<nanos>")
local function prepared_of(p)
  local a, c = string.match(p, '^(%d+),(%d+)$')
  return tonumber(a), tonumber(c)
end

-- a committed id is remembered (k:<id>) until its lease-set score, so a retried commit counts once
local function mark_committed(hk, lk, id, now)
  redis.call('HSET', hk, 'k:' .. id, 1)
  redis.call('ZADD', lk, now + KEEP_COMMITTED, id)
end

-- lapsed leases this script call may still drop (SWEEP_BATCH, shared by every counter)
local sweep_left = ${SWEEP_BATCH}

-- drops lapsed leases within the batch; true when the counter has none left. A lapsed hold with a
-- prepared commit is charged it (its call was committed on another slot, and the instance that
-- would finish it is gone); a committed id's mark just goes.
local function expire_leases(hk, lk, now)
  if sweep_left > 0 then
    local ids = redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, sweep_left)
    sweep_left = sweep_left - #ids
    for _, id in ipairs(ids) do
      local p = redis.call('HGET', hk, 'p:' .. id)
      drop_hold(hk, lk, id)
      if p then
        local a, c = prepared_of(p)
        if a > 0 then incr(hk, 'used', a) end
        if c > 0 then incr(hk, 'cused', c) end
        incr(hk, 'n', 1)
        mark_committed(hk, lk, id, now)
      end
    end
  end
  return #redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, 1) == 0
end

-- tokens and money held by lapsed leases not dropped yet: none after expire_leases said so; else
-- the first SWEEP_BATCH of them (commit and grant, which decide nothing, may count more as held);
-- then what the prepared commits among them will charge (tokens, money, calls)
local function lapsed_sums(hk, lk, now)
  local sum, csum, pa, pc, pn = 0, 0, 0, 0, 0
  local ids = redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, ${SWEEP_BATCH})
  for _, id in ipairs(ids) do
    local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id, 'p:' .. id)
    sum = sum + tonumber(h[1] or '0')
    csum = csum + tonumber(h[2] or '0')
    if h[3] then
      local a, c = prepared_of(h[3])
      pa, pc, pn = pa + a, pc + c, pn + 1
    end
  end
  return sum, csum, pa, pc, pn
end

-- min(previous effective limit - previous used - previous live holds, maxCarryover), 0 without a record
local function bonus_of(hk, pk, plk, maxc, now)
  local b = redis.call('HGET', hk, 'bonus')
  if b then return tonumber(b) end
  if maxc <= 0 or pk == hk then return 0 end
  local p = redis.call('HMGET', pk, 'used', 'limit', 'bonus', 'reserved', 'g')
  if not p[1] then return 0 end
  local plim = tonumber(p[2] or '0')
  if plim <= 0 then return 0 end
  local lapsed, _, prepared = lapsed_sums(pk, plk, now)
  local held = tonumber(p[4] or '0') - lapsed
  local unused = sat(plim + tonumber(p[3] or '0') + tonumber(p[5] or '0')) - tonumber(p[1]) - held - prepared
  if unused <= 0 then return 0 end
  return math.min(unused, maxc)
end

-- the limits in force: the subject's overrides, else the rule's
local function limits_of(ok, field, limit, climit)
  if field == '' then return limit, climit end
  local o = redis.call('HMGET', ok, 't:' .. field, 'c:' .. field)
  return tonumber(o[1] or limit), tonumber(o[2] or climit)
end

local function state_of(hk)
  local h = redis.call('HMGET', hk, 'used', 'reserved', 'cused', 'creserved', 'n', 'g', 'cg')
  return tonumber(h[1] or '0'), tonumber(h[2] or '0'), tonumber(h[3] or '0'), tonumber(h[4] or '0'),
    tonumber(h[5] or '0'), tonumber(h[6] or '0'), tonumber(h[7] or '0')
end

local function touch(hk, lk, limit, bonus, expire_at, climit, now)
  redis.call('HSET', hk, 'limit', string.format('%d', limit), 'bonus', bonus, 'climit', string.format('%d', climit))
  redis.call('HSETNX', hk, 'used', 0)
  if expire_at > 0 then
    redis.call('PEXPIRE', hk, expire_at - now)
    redis.call('PEXPIRE', lk, expire_at - now)
  end
end

local function push_state(out, hk, bonus, limit, climit)
  local used, reserved, cused, creserved, calls, g, cg = state_of(hk)
  for _, v in ipairs({used, sat(reserved), bonus, cused, sat(creserved), calls, g, cg, limit, climit}) do out[#out + 1] = v end
end

-- drops the lapsed leases a decision on this counter reads (its own, and the previous period's
-- while its rollover bonus is not fixed yet); true when none is left
local function swept(hk, lk, pk, plk, maxc, now)
  local done = expire_leases(hk, lk, now)
  if maxc > 0 and pk ~= hk and redis.call('HEXISTS', hk, 'bonus') == 0 then
    done = expire_leases(pk, plk, now) and done
  end
  return done
end
`;

/**
 * ARGV: now, id, amount, cost, leaseMs (the lease ends leaseMs after now), clamp (1 or 0), then
 * eight per counter.
 * Returns {1, held, heldCost, state...} (ten numbers per counter), {0, index, dimension (0 tokens,
 * 1 cost), state} for the counter that refused, or {2} (SWEEP_PENDING: lapsed leases remain after
 * this call's batch, nothing was held; call again). Soft counters never refuse nor clamp.
 */
export const RESERVE_SCRIPT = `${PRELUDE}
local now = clock_of(ARGV[1])
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local lease_until = now + tonumber(ARGV[5])
local clamp = ARGV[6] == '1'
local held, held_cost = amount, cost
local n = #KEYS / KPC
local states = {}
for i = 1, n do
  local k = KPC * (i - 1)
  local hk, lk, pk, plk, ok = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
  local a = 6 + APC * (i - 1)
  local limit, climit = limits_of(ok, ARGV[a + 5], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 4]))
  local maxc = tonumber(ARGV[a + 2])
  local soft = ARGV[a + 6] == '1'
  if not swept(hk, lk, pk, plk, maxc, now) then return {${SWEEP_PENDING}} end
  local used, reserved, cused, creserved, calls, g, cg = state_of(hk)
  local bonus = bonus_of(hk, pk, plk, maxc, now)
  local state = {used, sat(reserved), bonus, cused, sat(creserved), calls, g, cg, limit, climit}
  if limit > 0 and not soft then
    local room = sat(limit + bonus + g) - used - reserved
    if ((clamp or amount <= 0) and room <= 0) or (not clamp and amount > 0 and amount > room) then
      return {0, i - 1, 0, unpack(state)}
    end
    if room < held then held = room end
  end
  if climit > 0 and not soft then
    local room = sat(climit + cg) - cused - creserved
    if ((clamp or cost <= 0) and room <= 0) or (not clamp and cost > 0 and cost > room) then
      return {0, i - 1, 1, unpack(state)}
    end
    if room < held_cost then held_cost = room end
  end
  states[i] = state
end
local out = {1, held, held_cost}
for i = 1, n do
  local k = KPC * (i - 1)
  local hk, lk = KEYS[k + 1], KEYS[k + 2]
  local a = 6 + APC * (i - 1)
  local s = states[i]
  if held > 0 or held_cost > 0 then
    s[2] = sat(redis.call('HINCRBY', hk, 'reserved', held))
    s[5] = sat(redis.call('HINCRBY', hk, 'creserved', held_cost))
    redis.call('HSET', hk, 'r:' .. id, held, 'c:' .. id, held_cost)
    redis.call('ZADD', lk, lease_until, id)
  end
  touch(hk, lk, s[9], s[3], tonumber(ARGV[a + 3]), s[10], now)
  for _, v in ipairs(s) do out[#out + 1] = v end
end
return out
`;

/**
 * ARGV: now, id, amount, cost, then eight per counter. Drops the reservation (if still held), adds
 * amount to used, cost to cused and one to n (once per id: a counter that has the id's `k:` mark
 * already counted it, and only returns its state); writes the counter's new totals to the rankings (when
 * they are among the KEYS) and marks the thresholds reached for the first time. A counter whose
 * record has already expired (a commit later than its period plus the rollover window) is left
 * alone: no budget reads it any more.
 * Returns per counter its state (ten numbers), then two bit masks over its thresholds: those
 * crossed by tokens, those crossed by money.
 */
export const COMMIT_SCRIPT = `${PRELUDE}
local now = clock_of(ARGV[1])
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local out = {}
for i = 1, #KEYS / KPC do
  local k = KPC * (i - 1)
  local hk, lk, pk, plk, ok, rk, crk = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6], KEYS[k + 7]
  local a = 4 + APC * (i - 1)
  local expire_at = tonumber(ARGV[a + 3])
  local limit, climit = limits_of(ok, ARGV[a + 5], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 4]))
  local tmask, cmask = 0, 0
  if expire_at <= 0 or expire_at > now then
    expire_leases(hk, lk, now)
    local bonus = bonus_of(hk, pk, plk, tonumber(ARGV[a + 2]), now)
    local fresh = redis.call('HEXISTS', hk, 'k:' .. id) == 0
    if fresh then
      drop_hold(hk, lk, id)
      if amount > 0 then incr(hk, 'used', amount) end
      if cost > 0 then incr(hk, 'cused', cost) end
      incr(hk, 'n', 1)
      mark_committed(hk, lk, id, now)
    end
    touch(hk, lk, limit, bonus, expire_at, climit, now)
    push_state(out, hk, bonus, limit, climit)
    local at = #out - 10
    local used, cused, g, cg = out[at + 1], out[at + 4], out[at + 7], out[at + 8]
    if rk ~= hk then
      local member = ARGV[a + 8]
      redis.call('ZADD', rk, string.format('%d', used), member)
      redis.call('ZADD', crk, string.format('%d', cused), member)
      if expire_at > 0 then
        redis.call('PEXPIRE', rk, expire_at - now)
        redis.call('PEXPIRE', crk, expire_at - now)
      end
    end
    local eff = limit > 0 and sat(limit + bonus + g) or 0
    local ceff = climit > 0 and sat(climit + cg) or 0
    local bit = 1
    for f in string.gmatch(fresh and ARGV[a + 7] or '', '[^,]+') do
      local fraction = tonumber(f)
      if eff > 0 and used >= fraction * eff and redis.call('HSETNX', hk, 'th:t:' .. f, 1) == 1 then tmask = tmask + bit end
      if ceff > 0 and cused >= fraction * ceff and redis.call('HSETNX', hk, 'th:c:' .. f, 1) == 1 then cmask = cmask + bit end
      bit = bit * 2
    end
  else
    for _, v in ipairs({0, 0, 0, 0, 0, 0, 0, 0, limit, climit}) do out[#out + 1] = v end
  end
  out[#out + 1] = tmask
  out[#out + 1] = cmask
end
return out
`;

/** ARGV: now, id. Drops the reservation from every counter. */
export const RELEASE_SCRIPT = `${PRELUDE}
local id = ARGV[2]
for i = 1, #KEYS / KPC do
  local k = KPC * (i - 1)
  drop_hold(KEYS[k + 1], KEYS[k + 2], id)
end
return 1
`;

/**
 * ARGV: now, tokens, cost, then eight per counter. Adds granted credits (tokens to `g`,
 * nano-dollars to `cg`) to each counter's current period, creating its record if needed. Returns
 * each counter's state.
 */
export const GRANT_SCRIPT = `${PRELUDE}
local now = clock_of(ARGV[1])
local out = {}
for i = 1, #KEYS / KPC do
  local k = KPC * (i - 1)
  local hk, lk, pk, plk, ok = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
  local a = 3 + APC * (i - 1)
  local limit, climit = limits_of(ok, ARGV[a + 5], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 4]))
  expire_leases(hk, lk, now)
  local bonus = bonus_of(hk, pk, plk, tonumber(ARGV[a + 2]), now)
  incr(hk, 'g', ARGV[2])
  incr(hk, 'cg', ARGV[3])
  touch(hk, lk, limit, bonus, tonumber(ARGV[a + 3]), climit, now)
  push_state(out, hk, bonus, limit, climit)
end
return out
`;

/**
 * ARGV: now, then eight per counter. Returns {1, state...} (each counter's state; it writes only to
 * drop lapsed leases, the same ones a reserve would drop, so reads and reserves agree), or {2}
 * (SWEEP_PENDING: call again).
 */
export const READ_SCRIPT = `${PRELUDE}
local now = clock_of(ARGV[1])
local out = {1}
for i = 1, #KEYS / KPC do
  local k = KPC * (i - 1)
  local hk, lk, pk, plk, ok = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
  local a = 1 + APC * (i - 1)
  local limit, climit = limits_of(ok, ARGV[a + 5], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 4]))
  local maxc = tonumber(ARGV[a + 2])
  if not swept(hk, lk, pk, plk, maxc, now) then return {${SWEEP_PENDING}} end
  local used, reserved, cused, creserved, calls, g, cg = state_of(hk)
  local bonus = bonus_of(hk, pk, plk, maxc, now)
  for _, v in ipairs({used, sat(reserved), bonus, cused, sat(creserved), calls, g, cg, limit, climit}) do out[#out + 1] = v end
end
return out
`;

/**
 * ARGV: now, id, leaseMs (the lease now ends leaseMs after now). Moves the lease of the reservation on every counter that still holds
 * it (a lapsed hold is not brought back: others may have been admitted in its place; a committed
 * id's mark is left alone). Returns how many counters hold it.
 */
export const RENEW_SCRIPT = `${PRELUDE}
local now = clock_of(ARGV[1])
local id = ARGV[2]
local lease_until = now + tonumber(ARGV[3])
local held = 0
for i = 1, #KEYS / KPC do
  local k = KPC * (i - 1)
  local hk, lk = KEYS[k + 1], KEYS[k + 2]
  local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id)
  local score = redis.call('ZSCORE', lk, id)
  if (h[1] or h[2]) and score and tonumber(score) > now then
    redis.call('ZADD', lk, 'XX', 'GT', lease_until, id)
    held = held + 1
  end
end
return held
`;

/**
 * ARGV: now, id, amount, cost. Records beside the reservation's hold on every counter the usage a
 * cross-slot commit is about to count (`p:<id>`), so that if the commit lands on other slots only
 * and its instance dies, the lease sweep charges it here instead of dropping the hold. A counter
 * without the hold (lapsed, or already committed) is left alone.
 */
export const PREPARE_COMMIT_SCRIPT = `${PRELUDE}
local id = ARGV[2]
local p = string.format('%d,%d', tonumber(ARGV[3]), tonumber(ARGV[4]))
for i = 1, #KEYS / KPC do
  local hk = KEYS[KPC * (i - 1) + 1]
  local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id)
  if h[1] or h[2] then redis.call('HSET', hk, 'p:' .. id, p) end
end
return 1
`;
