/**
 * The rate-window hit as one Lua script (one round trip, atomic). KEYS[1]: the window hash
 * (fields `s` window start, `c` hits, `x` burst granted). ARGV: now, windowMs, limit, burst. `now` 0
 * means the Redis server's clock (`TIME`), so every app instance opens and closes the same windows
 * whatever its own clock says; a positive `now` is the app's clock (`timeSource: 'app'`). Returns
 * { admitted 0|1, hits, effective limit, window end, now }. The hash expires two windows after its
 * start, when the next window no longer needs its count.
 */
export const RATE_HIT_SCRIPT = `
local now = tonumber(ARGV[1])
if now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local w = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local r = redis.call('HMGET', KEYS[1], 's', 'c', 'x')
local s = tonumber(r[1])
local c = tonumber(r[2] or '0')
local x = tonumber(r[3] or '0')
if not s then
  s = now
  c = 0
  x = math.min(burst, limit)
elseif now >= s + w then
  local prev = 0
  if now < s + 2 * w then
    prev = c
    s = s + w
  else
    s = now
  end
  c = 0
  x = math.min(burst, math.max(0, limit - prev))
end
local admitted = 0
if c < limit + x then
  c = c + 1
  admitted = 1
end
redis.call('HSET', KEYS[1], 's', string.format('%d', s), 'c', c, 'x', x)
redis.call('PEXPIRE', KEYS[1], math.max(1, s + 2 * w - now))
return { admitted, c, limit + x, string.format('%d', s + w), string.format('%d', now) }
`;
