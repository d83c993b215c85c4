import { ARGS_PER_COUNTER, COMMITTED_ID_RETENTION_MS, KEYS_PER_COUNTER, SWEEP_BATCH } from './layout';

/** The Lua functions every budget script starts with (see layout.ts for keys, arguments and fields). */
export const PRELUDE = `
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
