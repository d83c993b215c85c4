import { PRELUDE } from './prelude';

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
