-- Publishes one publication to a channel's stream, atomically: next offset, history, delivery.
-- KEYS[1] the stream's meta hash (fields offset, epoch); KEYS[2] its history list
-- ARGV[1] the pub/sub channel; ARGV[2] the epoch to use if the stream does not exist (fresh, random)
-- ARGV[3] historySize; ARGV[4] historyTtl in ms; ARGV[5] metaTtl in ms
-- ARGV[6] the payload without its closing brace: {"type":"pub","event":...,"data":...
-- Returns {offset, epoch}.
--
-- History entries are '<ms> <payload>', ms the Redis server's time, never decreasing along the list, so
-- readers can skip entries older than historyTtl. The list always holds consecutive offsets ending at the
-- stream's offset (or nothing): a stream that starts again drops it, and historySize 0 deletes it.
local meta, history = KEYS[1], KEYS[2]

local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  epoch = ARGV[2]
  redis.call('HSET', meta, 'epoch', epoch)
  redis.call('DEL', history)
end
local offset = redis.call('HINCRBY', meta, 'offset', 1)
redis.call('PEXPIRE', meta, ARGV[5])

local payload = ARGV[6] .. ',"offset":' .. string.format('%d', offset) .. ',"epoch":"' .. epoch .. '"}'

local size = tonumber(ARGV[3])
if size > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local function ms(entry)
    return tonumber(string.sub(entry, 1, string.find(entry, ' ', 1, true) - 1))
  end
  local last = redis.call('LINDEX', history, -1)
  if last and ms(last) > now then
    now = ms(last)
  end
  redis.call('RPUSH', history, string.format('%d', now) .. ' ' .. payload)
  redis.call('LTRIM', history, -size, -1)
  -- Drop entries that are older than historyTtl from the front (amortised: each entry is dropped once).
  local cutoff = now - tonumber(ARGV[4])
  while true do
    local first = redis.call('LINDEX', history, 0)
    if not first or ms(first) > cutoff then
      break
    end
    redis.call('LPOP', history)
  end
  redis.call('PEXPIRE', history, ARGV[4])
else
  redis.call('DEL', history)
end

redis.call('PUBLISH', ARGV[1], payload)
return {offset, epoch}
