--[[
  The resolver's step after a chunk's outputs are acknowledged, in one round trip when nothing is
  wrong: checks that no snapshot this chunk wrote has been overtaken in Redis (the snapshot guard's
  rule, snapshot-guard.ts `overtakenSnapshots`), and only then releases the chunk's stored
  outcomes. When one is behind, nothing is released: the caller runs the full guard (which appends
  the current state and checks again) and releases afterwards, the order the guard needs.

  KEYS[1]  {t:<tenant>}:idx      anchors the tenant's slot; every key below carries its hash tag
           (profiles, the outcomes, and the outcome index `{t:<tenant>}:o-index` of their digests)
  ARGV[1]  JSON:
    prefix    "{t:<tenant>}"
    written   [[profileId, version], ...]  version -1: a tombstone was written
    outcomes  [key, ...]                   full outcome keys of this tenant (redis-keys outcomeKey)

  Returns the number of written snapshots that are behind; 0 means the outcomes were released.
]]

local req = cjson.decode(ARGV[1])
local prefix = req.prefix
local behind = 0

for _, w in ipairs(req.written) do
  local state = redis.call('HMGET', prefix .. ':p:' .. w[1], 'v', 'into')
  local version, into = state[1], state[2]
  if into then
    -- A merge is final: the loser's last record must be a tombstone.
    if w[2] ~= -1 then behind = behind + 1 end
  elseif version and (w[2] == -1 or tonumber(version) > w[2]) then
    behind = behind + 1
  end
end

if behind == 0 then
  local outcomes = req.outcomes
  for i = 1, #outcomes, 500 do
    redis.call('UNLINK', unpack(outcomes, i, math.min(i + 499, #outcomes)))
  end
  -- Their entries in the outcome index (digests: the key after `<prefix>:o:`).
  local digests, skip = {}, #prefix + 4
  for i, key in ipairs(outcomes) do digests[i] = string.sub(key, skip) end
  for i = 1, #digests, 500 do
    redis.call('SREM', prefix .. ':o-index', unpack(digests, i, math.min(i + 499, #digests)))
  end
end
return behind
