-- Adds or refreshes one presence entry and drops expired ones.
-- KEYS[1] hash clientId -> ClientInfo JSON; KEYS[2] sorted set clientId -> expiry (server ms)
-- ARGV[1] clientId; ARGV[2] ClientInfo JSON; ARGV[3] ttl in ms
-- Both keys expire with their longest-lived entry, so an abandoned channel's presence goes away.
local entries, expiries = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

redis.call('HSET', entries, ARGV[1], ARGV[2])
redis.call('ZADD', expiries, string.format('%d', now + tonumber(ARGV[3])), ARGV[1])

local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', string.format('%d', now))
for i = 1, #expired, 1000 do
  redis.call('HDEL', entries, unpack(expired, i, math.min(i + 999, #expired)))
end
redis.call('ZREMRANGEBYSCORE', expiries, '-inf', string.format('%d', now))

local last = redis.call('ZRANGE', expiries, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', entries, last[2])
redis.call('PEXPIREAT', expiries, last[2])
return 1
