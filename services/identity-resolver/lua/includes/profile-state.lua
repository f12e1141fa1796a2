-- A profile is one hash `<prefix>:p:<id>`:
--   v      version, bumped on every change
--   fs/ls  first / last seen, event time in epoch ms
--   mf     JSON array: every profile ever merged into this one (transitively)
--   into   set only on a merged-away profile: the profile it was merged into (forwarding pointer)
--   i:<type:value>  one field per identifier (empty value)
--   t:<name>        one field per trait, see trait-entry.lua (counted against the trait caps
--                   as the bytes of <name> plus the stored entry)
-- One hash per profile (listpack-encoded while small) keeps Redis memory per identifier low.
-- Needs ordering.lua.

local function profileKeyOf(prefix, profileId)
  return prefix .. ':p:' .. profileId
end

local function loadProfile(prefix, profileId)
  local flat = redis.call('HGETALL', profileKeyOf(prefix, profileId))
  if #flat == 0 then return nil end
  local p = { id = profileId, v = 0, fs = 0, ls = 0, mf = {}, into = nil, ids = {}, counts = {}, traits = {},
              traitCount = 0, traitBytes = 0 }
  for i = 1, #flat, 2 do
    local field, value = flat[i], flat[i + 1]
    local tag = string.sub(field, 1, 2)
    if tag == 'i:' then
      local identifier = string.sub(field, 3)
      p.ids[#p.ids + 1] = identifier
      local t = typeOf(identifier)
      p.counts[t] = (p.counts[t] or 0) + 1
    elseif tag == 't:' then
      local name = string.sub(field, 3)
      p.traits[name] = value
      -- What the trait caps count: fields, and bytes of name plus stored entry.
      p.traitCount = p.traitCount + 1
      p.traitBytes = p.traitBytes + #name + #value
    elseif field == 'v' then
      p.v = tonumber(value)
    elseif field == 'fs' then
      p.fs = tonumber(value)
    elseif field == 'ls' then
      p.ls = tonumber(value)
    elseif field == 'mf' then
      p.mf = cjson.decode(value)
    elseif field == 'into' then
      p.into = value
    end
  end
  return p
end

-- Follows merged_into pointers to the live profile. The index always names live profiles; the
-- pointers serve lookups by an old profile id.
local function loadLiveProfile(prefix, profileId)
  local p = loadProfile(prefix, profileId)
  local hops = 0
  while p and p.into do
    hops = hops + 1
    if hops > 100000 then error('merged_into cycle at profile ' .. profileId) end
    p = loadProfile(prefix, p.into)
  end
  return p
end

-- The merged-away profiles from profileId to its live profile, in merge order, as
-- [[id, version], ...]: empty when profileId is live. An earlier delivery of a message may have
-- written a snapshot of any of them (each was live once), so a redelivery names them to the
-- snapshot guard, which makes sure each one's last record is a tombstone.
local function mergedChain(prefix, profileId)
  local chain, id = {}, profileId
  while true do
    local state = redis.call('HMGET', profileKeyOf(prefix, id), 'v', 'into')
    if not state[2] then return chain end
    chain[#chain + 1] = { id, tonumber(state[1]) or 0 }
    if #chain > 100000 then error('merged_into cycle at profile ' .. profileId) end
    id = state[2]
  end
end

local function profileSnapshot(p)
  return { profileId = p.id, version = p.v, firstSeen = p.fs, lastSeen = p.ls, identifiers = p.ids,
           traits = p.traits, mergedFrom = p.mf }
end
