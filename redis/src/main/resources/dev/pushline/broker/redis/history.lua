-- Reads a channel's stream position and, as asked, history. Creates the stream if it does not exist.
-- KEYS[1] the stream's meta hash (fields offset, epoch); KEYS[2] its history list (see publish.lua)
-- ARGV[1] the epoch to use if the stream does not exist; ARGV[2] metaTtl in ms; ARGV[3] historyTtl in ms
-- ARGV[4] after: read offsets above it, or -1 for the latest; ARGV[5] limit: at most this many, 0 for none
-- Returns {offset, epoch, payload...}, payloads oldest first with consecutive offsets.
local meta, history = KEYS[1], KEYS[2]

local offset = 0
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
  redis.call('DEL', history)
else
  offset = tonumber(redis.call('HGET', meta, 'offset')) or 0
end
redis.call('PEXPIRE', meta, ARGV[2])

local result = {offset, epoch}
local limit = tonumber(ARGV[5])
local len = redis.call('LLEN', history)
if limit == 0 or len == 0 then
  return result
end

local function ms(entry)
  return tonumber(string.sub(entry, 1, string.find(entry, ' ', 1, true) - 1))
end
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[3])
-- The first unexpired entry: entries' times never decrease along the list, so search.
local lo, hi = 0, len
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  if ms(redis.call('LINDEX', history, mid)) <= cutoff then
    lo = mid + 1
  else
    hi = mid
  end
end

local base = offset - len + 1 -- the offset at index 0
local oldest = base + lo
local after = tonumber(ARGV[4])
local from, to
if after < 0 then
  to = offset
  from = math.max(oldest, offset - limit + 1)
else
  -- After evicted publications the read starts later than asked; the limit counts from there.
  from = math.max(oldest, after + 1)
  to = math.min(offset, from + limit - 1)
end
if from > to then
  return result
end
local entries = redis.call('LRANGE', history, from - base, to - base)
for i = 1, #entries do
  local entry = entries[i]
  result[#result + 1] = string.sub(entry, string.find(entry, ' ', 1, true) + 1)
end
return result
