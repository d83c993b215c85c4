import { SWEEP_PENDING } from './layout';
import { PRELUDE } from './prelude';

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
