import { PRELUDE } from './prelude';

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
