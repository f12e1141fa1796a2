--[[
  Resolves one event against a tenant's identity graph, atomically: dedupe by messageId, look up
  the event's identifiers, create / attach / merge under the tenant's rules, apply trait writes
  (last writer wins by event time), bump versions, return the outcome.

  KEYS[1]  {t:<tenant>}:idx              identifier index (hash `type:value` -> profile id)

  Profile keys `{t:<tenant>}:p:<id>` and dedupe buckets `{t:<tenant>}:m:...` are computed here, not declared in KEYS: the ids are only
  known after the lookups. This knowingly bends the "declare every key" rule the way BullMQ does
  with its prefix: every key carries the tenant hash tag, so all of them sit in the slot of
  KEYS[1] and the script works unchanged on Redis Cluster.

  ARGV[1]  JSON:
    prefix      "{t:<tenant>}"
    ts          event time, epoch ms
    now         processing time, epoch ms (places the message in a dedupe period)
    windowMs    dedupe window
    bucket      dedupe hash of this message within its period
    ids         [identifier, ...], highest priority first
    founder     the id of a profile this event creates: UUIDv5(tenant, ids[1])
    traits      [[name, kind ("s"|"o"|"u"), json], ...]
    rules       { rank = {type: n}, otherRank = n, limits = {type: n}, defaultLimit = n,
                  maxIds = n, maxMerges = n }
  ARGV[2]  the first 16 bytes of SHA-1(messageId), binary (see includes/dedupe-buckets.lua)

  Returns JSON: { status = "duplicate", profile? } or { status = "resolved", profileId, created,
  changed, mergedFrom, added, refused, traitsChanged, tombstones, warnings, profile }.
  Empty arrays come back as {} (cjson); the TypeScript side reads both.
]]

--- @include "includes/ordering.lua"
--- @include "includes/trait-entry.lua"
--- @include "includes/profile-state.lua"
--- @include "includes/dedupe-buckets.lua"

local idxKey = KEYS[1]
local req = cjson.decode(ARGV[1])
local prefix, ts, rules, ids = req.prefix, req.ts, req.rules, req.ids
local slot = dedupeSlot(prefix, ARGV[2], req.bucket, req.now, req.windowMs)

-- Exactly-once effect: a redelivered message changes nothing and reports the current state.
local seen = seenProfileId(slot)
if seen then
  local current = loadLiveProfile(prefix, seen)
  if current then return cjson.encode({ status = 'duplicate', profile = profileSnapshot(current) }) end
  return cjson.encode({ status = 'duplicate' })
end

-- Look up every identifier once; profiles are loaded once each.
local owner = {}     -- identifier -> live profile id
local profiles = {}  -- live profile id -> profile
for _, identifier in ipairs(ids) do
  local pid = redis.call('HGET', idxKey, identifier)
  if pid then
    local p = profiles[pid]
    if not p then
      p = loadLiveProfile(prefix, pid)
      if p then profiles[p.id] = p end
    end
    if p then owner[identifier] = p.id end
  end
end

local refused, warnings = {}, {}

-- Whether linking `matched` profiles and `fresh` identifiers breaks a rule; returns the type at
-- fault. A type may stay over its limit if it does not grow (rules apply to new data only).
local function violation(matched, fresh)
  local union, largest, withUserId = {}, {}, 0
  for _, p in ipairs(matched) do
    if (p.counts['user_id'] or 0) > 0 then withUserId = withUserId + 1 end
    for t, c in pairs(p.counts) do
      union[t] = (union[t] or 0) + c
      if c > (largest[t] or 0) then largest[t] = c end
    end
  end
  if withUserId > 1 then return 'user_id' end
  for _, i in ipairs(fresh) do
    local t = typeOf(ids[i])
    union[t] = (union[t] or 0) + 1
  end
  for t, c in pairs(union) do
    if c > limitFor(rules, t) and c > (largest[t] or 0) then return t end
  end
  return nil
end

-- While linking would break a limit, drop one identifier of the event and match again: the
-- lowest-priority one whose absence alone makes linking valid (a shared household email, say, so
-- the person's own device and phone still link), else the lowest-priority one (Segment's rule).
-- The event's highest-priority identifier is never dropped; a single identifier never violates
-- (limits are >= 1).
local function classify(active)
  local matched, fresh, inMatched = {}, {}, {}
  for _, i in ipairs(active) do
    local pid = owner[ids[i]]
    if pid then
      if not inMatched[pid] then
        inMatched[pid] = true
        matched[#matched + 1] = profiles[pid]
      end
    else
      fresh[#fresh + 1] = i
    end
  end
  return matched, fresh
end

local function without(active, k)
  local rest = {}
  for j, i in ipairs(active) do
    if j ~= k then rest[#rest + 1] = i end
  end
  return rest
end

local active = {}
for i = 1, #ids do active[i] = i end
local matched, fresh
while true do
  matched, fresh = classify(active)
  local fault = violation(matched, fresh)
  if not fault or #active == 1 then break end
  local drop = #active
  for k = #active, 2, -1 do
    local m, f = classify(without(active, k))
    if not violation(m, f) then
      drop = k
      break
    end
  end
  local dropped = ids[active[drop]]
  refused[#refused + 1] = { identifier = dropped, reason = 'limit' }
  warnings[#warnings + 1] = { code = 'limit', identifier = dropped,
    message = 'not linked: linking it would exceed the ' .. fault .. ' limit (' .. limitFor(rules, fault) ..
      ') or join two user_ids' }
  active = without(active, drop)
end

local target, created = nil, false
local dirty = {}  -- target hash fields to write
local mergedFrom, tombstones = {}, {}

if #matched == 0 then
  target = { id = req.founder, v = 0, fs = ts, ls = ts, mf = {}, ids = {}, counts = {}, traits = {} }
  if redis.call('EXISTS', profileKeyOf(prefix, target.id)) == 1 then
    error('profile id collision: ' .. target.id .. ' exists but ' .. ids[1] .. ' is not indexed')
  end
  created = true
  dirty['fs'], dirty['ls'] = ts, ts
else
  sortProfiles(rules, matched)
  target = matched[1]
end

local traitsBefore = {}
for name, raw in pairs(target.traits) do traitsBefore[name] = raw end

local function addIdentifier(p, identifier)
  p.ids[#p.ids + 1] = identifier
  local t = typeOf(identifier)
  p.counts[t] = (p.counts[t] or 0) + 1
  dirty['i:' .. identifier] = ''
  redis.call('HSET', idxKey, identifier, p.id)
end

local function mergeTrait(p, name, incomingRaw)
  if traitWins(p.traits[name], parseTrait(incomingRaw)) then
    p.traits[name] = incomingRaw
    dirty['t:' .. name] = incomingRaw
  end
end

if #matched > 1 then
  local totalIds, merges = 0, #target.mf
  for k, p in ipairs(matched) do
    totalIds = totalIds + #p.ids
    if k > 1 then merges = merges + 1 + #p.mf end
  end
  local others = {}
  for k = 2, #matched do others[#others + 1] = matched[k].id end
  if merges > rules.maxMerges then
    warnings[#warnings + 1] = { code = 'merge_cap', message = 'not merged with ' .. table.concat(others, ', ') ..
      ': the profile would exceed ' .. rules.maxMerges .. ' merges' }
  elseif totalIds > rules.maxIds then
    warnings[#warnings + 1] = { code = 'identifier_cap', message = 'not merged with ' .. table.concat(others, ', ') ..
      ': the profile would exceed ' .. rules.maxIds .. ' identifiers' }
  else
    for k = 2, #matched do
      local loser = matched[k]
      for _, identifier in ipairs(loser.ids) do addIdentifier(target, identifier) end
      for name, raw in pairs(loser.traits) do mergeTrait(target, name, raw) end
      if loser.fs < target.fs then target.fs = loser.fs; dirty['fs'] = loser.fs end
      if loser.ls > target.ls then target.ls = loser.ls; dirty['ls'] = loser.ls end
      target.mf[#target.mf + 1] = loser.id
      for _, older in ipairs(loser.mf) do target.mf[#target.mf + 1] = older end
      dirty['mf'] = true
      mergedFrom[#mergedFrom + 1] = loser.id
      -- The loser keeps only a forwarding pointer; its identifiers now index the survivor.
      local loserKey = profileKeyOf(prefix, loser.id)
      redis.call('DEL', loserKey)
      redis.call('HSET', loserKey, 'into', target.id, 'v', loser.v + 1)
      tombstones[#tombstones + 1] = { profileId = loser.id, mergedInto = target.id, version = loser.v + 1 }
    end
  end
end

-- New identifiers, within the cap on identifiers per profile.
local added = {}
for _, i in ipairs(fresh) do
  local identifier = ids[i]
  if #target.ids >= rules.maxIds then
    refused[#refused + 1] = { identifier = identifier, reason = 'identifier_cap' }
    warnings[#warnings + 1] = { code = 'identifier_cap', identifier = identifier,
      message = 'not linked: the profile has ' .. rules.maxIds .. ' identifiers' }
  else
    addIdentifier(target, identifier)
    added[#added + 1] = identifier
  end
end

for _, op in ipairs(req.traits) do mergeTrait(target, op[1], encodeTrait(op[2], ts, op[3])) end

if ts < target.fs then target.fs = ts; dirty['fs'] = ts end
if ts > target.ls then target.ls = ts; dirty['ls'] = ts end

local traitsChanged = {}
local names = {}
for name in pairs(traitsBefore) do names[name] = true end
for name in pairs(target.traits) do names[name] = true end
for name in pairs(names) do
  local old, new = visibleValue(traitsBefore[name]), visibleValue(target.traits[name])
  if old ~= new then traitsChanged[#traitsChanged + 1] = { name = name, old = old, new = new } end
end

local changed = next(dirty) ~= nil
if changed then
  target.v = target.v + 1
  local args = { 'v', target.v }
  for field, value in pairs(dirty) do
    if field == 'mf' then value = cjson.encode(target.mf)
    elseif field == 'fs' then value = string.format('%d', target.fs)
    elseif field == 'ls' then value = string.format('%d', target.ls) end
    args[#args + 1] = field
    args[#args + 1] = value
    -- unpack() is bounded by the Lua C stack: write large merges in chunks.
    if #args >= 2000 then
      redis.call('HSET', profileKeyOf(prefix, target.id), unpack(args))
      args = {}
    end
  end
  if #args > 0 then redis.call('HSET', profileKeyOf(prefix, target.id), unpack(args)) end
end

recordSeen(slot, target.id)

return cjson.encode({
  status = 'resolved', profileId = target.id, created = created, changed = changed,
  mergedFrom = mergedFrom, added = added, refused = refused, traitsChanged = traitsChanged,
  tombstones = tombstones, warnings = warnings, profile = profileSnapshot(target),
})
