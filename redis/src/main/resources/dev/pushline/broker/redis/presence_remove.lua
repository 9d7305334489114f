-- Removes one presence entry. KEYS[1] entries hash; KEYS[2] expiries sorted set; ARGV[1] clientId
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
