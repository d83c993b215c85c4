import { PRELUDE } from './prelude';

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
