/**
 * Lua scripts of the RedisAdapter, one per operation, each one round trip.
 *
 * KEYS come in fours per counter: the counter hash, its lease sorted set, the previous period's
 * counter hash and its lease set (the counter's own keys when there is no previous period).
 * ARGV starts with fixed arguments, then four per counter: limit, maxCarryover, expireAt (epoch ms
 * of the app clock, 0 = never), costLimit. Expiry is set relative to the app's `now`
 * (PEXPIRE expireAt - now), so the app clock, not Redis's, decides when a period's record goes.
 *
 * Counter hash fields, tokens: `used`, `reserved`, `limit` (last seen, read by the next period's
 * rollover), `bonus` (rollover of this period, fixed at its first write), `r:<id>` (a
 * reservation's tokens); money in integer nano-dollars: `cused`, `creserved`, `climit`, `c:<id>`
 * (a reservation's money); `n`, the committed calls. The lease set scores reservation ids by the
 * epoch ms they lapse at. Every figure is an integer below 2^53, so Lua's doubles hold it exactly.
 *
 * A counter's state is returned as six numbers: used, reserved, bonus, cused, creserved, n.
 */

const PRELUDE = `
-- (0 - x, not -x: Lua's -0 would reach HINCRBY as '-0', which Redis refuses)
local function drop_hold(hk, lk, id)
  local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id)
  if h[1] then redis.call('HINCRBY', hk, 'reserved', 0 - tonumber(h[1])) end
  if h[2] then redis.call('HINCRBY', hk, 'creserved', 0 - tonumber(h[2])) end
  if h[1] or h[2] then redis.call('HDEL', hk, 'r:' .. id, 'c:' .. id) end
  redis.call('ZREM', lk, id)
end

local function expire_leases(hk, lk, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, 1000)) do
    drop_hold(hk, lk, id)
  end
end

-- tokens and money held by leases that have lapsed but are not dropped yet
local function lapsed_sums(hk, lk, now)
  local sum, csum = 0, 0
  local ids = redis.call('ZRANGEBYSCORE', lk, '-inf', now)
  for _, id in ipairs(ids) do
    local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id)
    sum = sum + tonumber(h[1] or '0')
    csum = csum + tonumber(h[2] or '0')
  end
  return sum, csum
end

-- min(previous effective limit - previous used - previous live holds, maxCarryover), 0 without a record
local function bonus_of(hk, pk, plk, maxc, now)
  local b = redis.call('HGET', hk, 'bonus')
  if b then return tonumber(b) end
  if maxc <= 0 or pk == hk then return 0 end
  local p = redis.call('HMGET', pk, 'used', 'limit', 'bonus', 'reserved')
  if not p[1] then return 0 end
  local plim = tonumber(p[2] or '0')
  if plim <= 0 then return 0 end
  local lapsed = lapsed_sums(pk, plk, now)
  local held = tonumber(p[4] or '0') - lapsed
  local unused = plim + tonumber(p[3] or '0') - tonumber(p[1]) - held
  if unused <= 0 then return 0 end
  return math.min(unused, maxc)
end

local function state_of(hk)
  local h = redis.call('HMGET', hk, 'used', 'reserved', 'cused', 'creserved', 'n')
  return tonumber(h[1] or '0'), tonumber(h[2] or '0'), tonumber(h[3] or '0'), tonumber(h[4] or '0'), tonumber(h[5] or '0')
end

local function touch(hk, lk, limit, bonus, expire_at, climit, now)
  redis.call('HSET', hk, 'limit', limit, 'bonus', bonus, 'climit', climit)
  redis.call('HSETNX', hk, 'used', 0)
  if expire_at > 0 then
    redis.call('PEXPIRE', hk, expire_at - now)
    redis.call('PEXPIRE', lk, expire_at - now)
  end
end
`;

/**
 * ARGV: now, id, amount, cost, leaseUntil, clamp (1 or 0), then four per counter.
 * Returns {1, held, heldCost, state...} (six numbers per counter) or {0, index, dimension (0 tokens,
 * 1 cost), state} for the counter that refused.
 */
export const RESERVE_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local lease_until = tonumber(ARGV[5])
local clamp = ARGV[6] == '1'
local held, held_cost = amount, cost
local n = #KEYS / 4
local states = {}
for i = 1, n do
  local hk, lk, pk, plk = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local a = 6 + 4 * (i - 1)
  local limit = tonumber(ARGV[a + 1])
  local maxc = tonumber(ARGV[a + 2])
  local climit = tonumber(ARGV[a + 4])
  expire_leases(hk, lk, now)
  local used, reserved, cused, creserved, calls = state_of(hk)
  local bonus = bonus_of(hk, pk, plk, maxc, now)
  if limit > 0 then
    local room = limit + bonus - used - reserved
    if ((clamp or amount <= 0) and room <= 0) or (not clamp and amount > 0 and amount > room) then
      return {0, i - 1, 0, used, reserved, bonus, cused, creserved, calls}
    end
    if room < held then held = room end
  end
  if climit > 0 then
    local room = climit - cused - creserved
    if ((clamp or cost <= 0) and room <= 0) or (not clamp and cost > 0 and cost > room) then
      return {0, i - 1, 1, used, reserved, bonus, cused, creserved, calls}
    end
    if room < held_cost then held_cost = room end
  end
  states[i] = {used, reserved, bonus, cused, creserved, calls}
end
local out = {1, held, held_cost}
for i = 1, n do
  local hk, lk = KEYS[4 * i - 3], KEYS[4 * i - 2]
  local a = 6 + 4 * (i - 1)
  local s = states[i]
  local reserved, creserved = s[2], s[5]
  if held > 0 or held_cost > 0 then
    reserved = redis.call('HINCRBY', hk, 'reserved', held)
    creserved = redis.call('HINCRBY', hk, 'creserved', held_cost)
    redis.call('HSET', hk, 'r:' .. id, held, 'c:' .. id, held_cost)
    redis.call('ZADD', lk, lease_until, id)
  end
  touch(hk, lk, ARGV[a + 1], s[3], tonumber(ARGV[a + 3]), ARGV[a + 4], now)
  out[#out + 1] = s[1]
  out[#out + 1] = reserved
  out[#out + 1] = s[3]
  out[#out + 1] = s[4]
  out[#out + 1] = creserved
  out[#out + 1] = s[6]
end
return out
`;

/**
 * ARGV: now, id, amount, cost, then four per counter. Drops the reservation (if still held), adds
 * amount to used, cost to cused and one to n. A counter whose record has already expired (a commit
 * later than its period plus the rollover window) is left alone: no budget reads it any more.
 */
export const COMMIT_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local n = #KEYS / 4
for i = 1, n do
  local hk, lk, pk, plk = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local a = 4 + 4 * (i - 1)
  local expire_at = tonumber(ARGV[a + 3])
  if expire_at <= 0 or expire_at > now then
    expire_leases(hk, lk, now)
    local bonus = bonus_of(hk, pk, plk, tonumber(ARGV[a + 2]), now)
    drop_hold(hk, lk, id)
    if amount > 0 then redis.call('HINCRBY', hk, 'used', amount) end
    if cost > 0 then redis.call('HINCRBY', hk, 'cused', cost) end
    redis.call('HINCRBY', hk, 'n', 1)
    touch(hk, lk, ARGV[a + 1], bonus, expire_at, ARGV[a + 4], now)
  end
end
return 1
`;

/** ARGV: now, id. Drops the reservation from every counter. */
export const RELEASE_SCRIPT = `${PRELUDE}
local id = ARGV[2]
for i = 1, #KEYS / 4 do
  drop_hold(KEYS[4 * i - 3], KEYS[4 * i - 2], id)
end
return 1
`;

/** ARGV: now, then four per counter. Read-only: returns six numbers per counter, lapsed leases left out. */
export const READ_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 4 do
  local hk, lk, pk, plk = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local a = 1 + 4 * (i - 1)
  local used, reserved, cused, creserved, calls = state_of(hk)
  local lapsed, clapsed = lapsed_sums(hk, lk, now)
  out[#out + 1] = used
  out[#out + 1] = reserved - lapsed
  out[#out + 1] = bonus_of(hk, pk, plk, tonumber(ARGV[a + 2]), now)
  out[#out + 1] = cused
  out[#out + 1] = creserved - clapsed
  out[#out + 1] = calls
end
return out
`;
