import { PRELUDE } from './prelude';

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
