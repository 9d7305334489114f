-- Drops expired presence entries and returns the others' ClientInfo JSON.
-- KEYS[1] entries hash; KEYS[2] expiries sorted set (see presence_add.lua)
local entries, expiries = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))

local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
for i = 1, #expired, 1000 do
  redis.call('HDEL', entries, unpack(expired, i, math.min(i + 999, #expired)))
end
redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now)
return redis.call('HVALS', entries)
