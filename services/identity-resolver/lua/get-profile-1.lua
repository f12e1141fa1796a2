--[[
  Reads one live profile, by identifier or by profile id, following merged_into pointers.
  Read-only; one script so the snapshot is consistent.

  KEYS[1]  {t:<tenant>}:idx   identifier index
  (Profile keys are computed from the hash-tagged prefix, as in resolve-event-4.lua.)

  ARGV[1]  prefix "{t:<tenant>}"
  ARGV[2]  "identifier" or "profile"
  ARGV[3]  normalized `type:value`, or a profile id

  Returns the profile snapshot as JSON, or nil when unknown.
]]

--- @include "includes/ordering.lua"
--- @include "includes/profile-state.lua"

local prefix, by, value = ARGV[1], ARGV[2], ARGV[3]
local profileId = value
if by == 'identifier' then
  profileId = redis.call('HGET', KEYS[1], value)
  if not profileId then return nil end
end
local p = loadLiveProfile(prefix, profileId)
if not p then return nil end
return cjson.encode(profileSnapshot(p))
