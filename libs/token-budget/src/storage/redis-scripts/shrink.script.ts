import { PRELUDE } from './prelude';

/**
 * ARGV: now, id, amount, cost. Lowers the reservation's hold on every counter to at most `amount`
 * tokens and `cost` nano-dollars (a hold already at or below them is left as it is). Used after a
 * clamped reservation across Cluster slots, whose earlier slots held more than a later slot could.
 * Returns 1.
 */
export const SHRINK_SCRIPT = `${PRELUDE}
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
for i = 1, #KEYS / KPC do
  local hk = KEYS[KPC * (i - 1) + 1]
  local h = redis.call('HMGET', hk, 'r:' .. id, 'c:' .. id)
  if h[1] and tonumber(h[1]) > amount then
    redis.call('HINCRBY', hk, 'reserved', amount - tonumber(h[1]))
    redis.call('HSET', hk, 'r:' .. id, amount)
  end
  if h[2] and tonumber(h[2]) > cost then
    redis.call('HINCRBY', hk, 'creserved', cost - tonumber(h[2]))
    redis.call('HSET', hk, 'c:' .. id, cost)
  end
end
return 1
`;
