import { SWEEP_PENDING } from './layout';
import { PRELUDE } from './prelude';

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
