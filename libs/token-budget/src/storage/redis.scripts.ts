/**
 * Lua scripts of the RedisAdapter, one per operation, each one round trip.
 *
 * KEYS come in fours per counter: the counter hash, its lease sorted set, the previous period's
 * counter hash and its lease set (the counter's own keys when there is no previous period).
 * ARGV starts with fixed arguments, then per counter: limit, maxCarryover, expireAt (epoch ms of
 * the app clock, 0 = never). Expiry is set relative to the app's `now` (PEXPIRE expireAt - now),
 * so the app clock, not Redis's, decides when a period's record goes.
 *
 * Counter hash fields: `used`, `reserved`, `limit` (last seen, read by the next period's
 * rollover), `bonus` (rollover of this period, fixed at its first write), `r:<id>` (a
 * reservation's amount). The lease set scores reservation ids by the epoch ms they lapse at.
 */

const PRELUDE = `
local function drop_hold(hk, lk, id)
  local amt = redis.call('HGET', hk, 'r:' .. id)
  if amt then
    redis.call('HINCRBY', hk, 'reserved', -tonumber(amt))
    redis.call('HDEL', hk, 'r:' .. id)
  end
  redis.call('ZREM', lk, id)
end

local function expire_leases(hk, lk, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, 1000)) do
    drop_hold(hk, lk, id)
  end
end

local function lapsed_sum(hk, lk, now)
  local sum = 0
  local ids = redis.call('ZRANGEBYSCORE', lk, '-inf', now)
  for _, id in ipairs(ids) do
    sum = sum + tonumber(redis.call('HGET', hk, 'r:' .. id) or '0')
  end
  return sum
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
  local held = tonumber(p[4] or '0') - lapsed_sum(pk, plk, now)
  local unused = plim + tonumber(p[3] or '0') - tonumber(p[1]) - held
  if unused <= 0 then return 0 end
  return math.min(unused, maxc)
end

local function touch(hk, lk, limit, bonus, expire_at, now)
  redis.call('HSET', hk, 'limit', limit, 'bonus', bonus)
  redis.call('HSETNX', hk, 'used', 0)
  if expire_at > 0 then
    redis.call('PEXPIRE', hk, expire_at - now)
    redis.call('PEXPIRE', lk, expire_at - now)
  end
end
`;

/** ARGV: now, id, amount, leaseUntil, then per counter. Returns {1, used, reserved, bonus, ...} or {0, index, used, reserved, bonus}. */
export const RESERVE_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local lease_until = tonumber(ARGV[4])
local n = #KEYS / 4
local states = {}
for i = 1, n do
  local hk, lk, pk, plk = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local limit = tonumber(ARGV[3 * i + 2])
  local maxc = tonumber(ARGV[3 * i + 3])
  expire_leases(hk, lk, now)
  local h = redis.call('HMGET', hk, 'used', 'reserved')
  local used = tonumber(h[1] or '0')
  local reserved = tonumber(h[2] or '0')
  local bonus = bonus_of(hk, pk, plk, maxc, now)
  if limit > 0 then
    local room = limit + bonus - used - reserved
    if (amount > 0 and amount > room) or (amount <= 0 and room <= 0) then
      return {0, i - 1, used, reserved, bonus}
    end
  end
  states[i] = {used, reserved, bonus}
end
local out = {1}
for i = 1, n do
  local hk, lk = KEYS[4 * i - 3], KEYS[4 * i - 2]
  local s = states[i]
  local reserved = s[2]
  if amount > 0 then
    reserved = redis.call('HINCRBY', hk, 'reserved', amount)
    redis.call('HSET', hk, 'r:' .. id, amount)
    redis.call('ZADD', lk, lease_until, id)
  end
  touch(hk, lk, ARGV[3 * i + 2], s[3], tonumber(ARGV[3 * i + 4]), now)
  out[#out + 1] = s[1]
  out[#out + 1] = reserved
  out[#out + 1] = s[3]
end
return out
`;

/**
 * ARGV: now, id, amount, then per counter. Drops the reservation (if still held) and adds amount
 * to used. A counter whose record has already expired (a commit later than its period plus the
 * rollover window) is left alone: no budget reads it any more.
 */
export const COMMIT_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local n = #KEYS / 4
for i = 1, n do
  local hk, lk, pk, plk = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local expire_at = tonumber(ARGV[3 * i + 3])
  if expire_at <= 0 or expire_at > now then
    expire_leases(hk, lk, now)
    local bonus = bonus_of(hk, pk, plk, tonumber(ARGV[3 * i + 2]), now)
    drop_hold(hk, lk, id)
    if amount > 0 then redis.call('HINCRBY', hk, 'used', amount) end
    touch(hk, lk, ARGV[3 * i + 1], bonus, expire_at, now)
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

/** ARGV: now, then per counter. Read-only: returns {used, reserved, bonus, ...} with lapsed leases left out. */
export const READ_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 4 do
  local hk, lk, pk, plk = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local h = redis.call('HMGET', hk, 'used', 'reserved')
  out[#out + 1] = tonumber(h[1] or '0')
  out[#out + 1] = tonumber(h[2] or '0') - lapsed_sum(hk, lk, now)
  out[#out + 1] = bonus_of(hk, pk, plk, tonumber(ARGV[3 * i]), now)
end
return out
`;
