--[[
  Writes one profile snapshot (from the compacted cdp.profiles.v1 topic) back into Redis, for
  `cdp identity rebuild`. Idempotent and order-tolerant: snapshots of different profiles may be
  read in any order across partitions, so
  - an older version than the one stored is skipped ("stale");
  - a profile stored as merged away stays merged: a merge is final ("merged");
  - every profile in mergedFrom becomes a forwarding pointer to this one, and every identifier
    indexes this one, so a stale snapshot of a merged-away profile cannot take them back.

  KEYS[1]  {t:<tenant>}:idx   identifier index
  (Profile keys are computed from the hash-tagged prefix, as in resolve-event-4.lua.)

  ARGV[1]  prefix "{t:<tenant>}"
  ARGV[2]  JSON { profileId, version, firstSeen, lastSeen, identifiers = [...],
                  traits = {name: stored entry}, mergedFrom = [...] }

  Returns "restored", "stale" or "merged".
]]

--- @include "includes/ordering.lua"
--- @include "includes/profile-state.lua"

local prefix = ARGV[1]
local s = cjson.decode(ARGV[2])
local key = profileKeyOf(prefix, s.profileId)

local stored = redis.call('HMGET', key, 'v', 'into')
if stored[2] then return 'merged' end
if stored[1] and tonumber(stored[1]) > s.version then return 'stale' end

local function writeChunked(hashKey, args)
  local chunk = {}
  for i = 1, #args, 2 do
    chunk[#chunk + 1] = args[i]
    chunk[#chunk + 1] = args[i + 1]
    if #chunk >= 2000 then
      redis.call('HSET', hashKey, unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then redis.call('HSET', hashKey, unpack(chunk)) end
end

local fields = { 'v', s.version, 'fs', string.format('%d', s.firstSeen), 'ls', string.format('%d', s.lastSeen),
  'mf', cjson.encode(s.mergedFrom) }
local index = {}
for _, identifier in ipairs(s.identifiers) do
  fields[#fields + 1] = 'i:' .. identifier
  fields[#fields + 1] = ''
  index[#index + 1] = identifier
  index[#index + 1] = s.profileId
end
for name, raw in pairs(s.traits) do
  fields[#fields + 1] = 't:' .. name
  fields[#fields + 1] = raw
end

redis.call('DEL', key)
writeChunked(key, fields)
writeChunked(KEYS[1], index)
for _, loserId in ipairs(s.mergedFrom) do
  local loserKey = profileKeyOf(prefix, loserId)
  redis.call('DEL', loserKey)
  redis.call('HSET', loserKey, 'into', s.profileId, 'v', 0)
end
return 'restored'
