--[[
  Resolves one event against a tenant's identity graph, atomically: refuse it when the privacy
  suppression list holds one of its identifiers (nothing is read or written then), dedupe by
  messageId, look up the event's identifiers, create / attach / merge under the tenant's rules,
  apply trait writes
  (last writer wins by event time, within the profile's trait caps), bump versions, keep the
  outcome until the caller has published it, return the outcome.

  KEYS[1]  {t:<tenant>}:idx              identifier index (hash `type:value` -> profile id)
  KEYS[2]  {t:<tenant>}:o:<digest>       this message's stored outcome (string, JSON; see below)
  KEYS[3]  {t:<tenant>}:privacy:suppressed  suppression list (hash digest -> request id;
  KEYS[4]  {t:<tenant>}:privacy:erasing     layout and digests: common/privacy/suppression.ts)

  Profile keys `{t:<tenant>}:p:<id>`, dedupe buckets `{t:<tenant>}:m:...` and the outcome index
  `{t:<tenant>}:o-index` (set of outcome digests, see redis-keys.ts) are computed here, not
  declared in KEYS: the ids are only known after the lookups. This knowingly bends the "declare
  every key" rule the way BullMQ does with its prefix: every key carries the tenant hash tag, so
  all of them sit in the slot of KEYS[1] and the script works unchanged on Redis Cluster.

  ARGV[1]  JSON:
    prefix      "{t:<tenant>}"
    ts          event time, epoch ms (already clamped to the tenant's window around receivedAt)
    now         processing time, epoch ms: places the message in a dedupe period, and is the time
                every output of this message carries (stored, so a redelivery re-sends it)
    windowMs    dedupe window
    bucket      dedupe hash of this message within its period
    outcomeTtlMs  how long the stored outcome outlives an unacknowledged publication
    ids         [identifier, ...], highest priority first (at most the per-event cap)
    founder     the id of a profile this event creates: UUIDv5(tenant, ids[1])
    traits      [[name, kind ("s"|"o"|"u"), json], ...]
    rules       { rank = {type: n}, otherRank = n, limits = {type: n}, defaultLimit = n,
                  maxIds = n, maxMerges = n, maxTraits = n, maxTraitBytes = n }
    held        [digest, ...] the SHA-256 hex of each of ids (identifierDigest), to look up in KEYS[3]
                and KEYS[4]; absent or empty: no suppression check
  ARGV[2]  the first 16 bytes of SHA-1(messageId), binary (see includes/dedupe-buckets.lua)

  Returns JSON:
    { status = "suppressed" }  an identifier is suppressed or held by a delete in progress: the
        event is dropped before the graph (checked first, as the collector does, so even a replay
        of a message applied before the suppression re-sends nothing of it);
    { status = "replayed", outcome = <stored outcome>, profile?, mergedSince? }  the message was
        applied and its outputs are not yet acknowledged (KEYS[2] exists): the caller re-sends
        them as they were;
    { status = "duplicate", profile?, mergedSince? }  applied, outputs acknowledged (or the
        outcome expired);
  mergedSince: [[profileId, version], ...], the profiles between the one the message was applied
  to and today's live one, all merged away since (includes/profile-state.lua mergedChain); absent
  when there are none.
    { status = "resolved", outcome = <outcome>, profile }.
  An outcome is { profileId, version, at, created, changed, mergedFrom, added, refused,
  traitsChanged, tombstones = [{ profileId, mergedInto, version, moved }], warnings }: everything
  the caller's records are built from except the survivor's snapshot, which is always the current
  one. Empty arrays come back as {} (cjson); the TypeScript side reads both.
]]

--- @include "includes/ordering.lua"
--- @include "includes/trait-entry.lua"
--- @include "includes/profile-state.lua"
--- @include "includes/dedupe-buckets.lua"

local idxKey, outcomeKey = KEYS[1], KEYS[2]
local req = cjson.decode(ARGV[1])
local prefix, ts, rules, ids = req.prefix, req.ts, req.rules, req.ids

-- In the same call as the apply, so a check costs no round trip of its own. Most tenants have no
-- list at all: one EXISTS then, the two lookups only when a list exists.
local held = req.held
if held and #held > 0 and redis.call('EXISTS', KEYS[3], KEYS[4]) > 0 then
  for k = 3, 4 do
    for _, found in ipairs(redis.call('HMGET', KEYS[k], unpack(held))) do
      if found then return '{"status":"suppressed"}' end
    end
  end
end

-- Applied, outputs not yet acknowledged: the stored outcome, byte for byte, and today's profile.
local function mergedSinceJson(profileId)
  local chain = mergedChain(prefix, profileId)
  return #chain > 0 and (',"mergedSince":' .. cjson.encode(chain)) or ''
end

local stored = redis.call('GET', outcomeKey)
if stored then
  local storedProfileId = cjson.decode(stored).profileId
  local current = loadLiveProfile(prefix, storedProfileId)
  local snapshot = current and (',"profile":' .. cjson.encode(profileSnapshot(current))) or ''
  return '{"status":"replayed","outcome":' .. stored .. snapshot .. mergedSinceJson(storedProfileId) .. '}'
end

local slot = dedupeSlot(prefix, ARGV[2], req.bucket, req.now, req.windowMs)

-- Exactly-once effect: a redelivered message changes nothing and reports the current state.
local seen = seenProfileId(slot)
if seen then
  local current = loadLiveProfile(prefix, seen)
  local profile = current and (',"profile":' .. cjson.encode(profileSnapshot(current))) or ''
  return '{"status":"duplicate"' .. profile .. mergedSinceJson(seen) .. '}'
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

-- One warning per event and code, whatever the number of identifiers or traits it concerns: an
-- event with hundreds of refusals is one record. `subject` names the single item when there is one.
local function summaryWarning(code, field, items, what)
  if #items == 0 then return end
  local shown = {}
  for k = 1, math.min(#items, 10) do shown[k] = items[k] end
  local more = #items > 10 and (', ... (' .. (#items - 10) .. ' more)') or ''
  local w = { code = code, message = what .. ': ' .. table.concat(shown, ', ') .. more }
  if #items == 1 then w[field] = items[1] end
  warnings[#warnings + 1] = w
end

-- Identifiers are taken highest priority first; one whose link, together with those already
-- taken, would join two user_ids or grow a type past its limit is not linked. A type may stay
-- over its limit if it does not grow (rules apply to new data only). Linear in the identifiers:
-- the running union of types is updated as each is taken, and only the types an identifier
-- brings are checked. The first identifier is always taken (limits are >= 1).
local union, largest, withUserId = {}, {}, 0
local inMatched, matched, fresh = {}, {}, {}
local limited = {}

local function fits(t, adds, single)
  local u = (union[t] or 0) + adds
  local l = largest[t] or 0
  if single > l then l = single end
  return u <= limitFor(rules, t) or u <= l
end

for i, identifier in ipairs(ids) do
  local pid = owner[identifier]
  if pid then
    if not inMatched[pid] then
      local p = profiles[pid]
      local ok = not ((p.counts['user_id'] or 0) > 0 and withUserId > 0)
      if ok then
        for t, c in pairs(p.counts) do
          if not fits(t, c, c) then ok = false; break end
        end
      end
      if ok then
        inMatched[pid] = true
        matched[#matched + 1] = p
        if (p.counts['user_id'] or 0) > 0 then withUserId = withUserId + 1 end
        for t, c in pairs(p.counts) do
          union[t] = (union[t] or 0) + c
          if c > (largest[t] or 0) then largest[t] = c end
        end
      else
        limited[#limited + 1] = identifier
      end
    end
  else
    local t = typeOf(identifier)
    if fits(t, 1, 0) then
      fresh[#fresh + 1] = i
      union[t] = (union[t] or 0) + 1
    else
      limited[#limited + 1] = identifier
    end
  end
end
for _, identifier in ipairs(limited) do refused[#refused + 1] = { identifier = identifier, reason = 'limit' } end
summaryWarning('limit', 'identifier', limited,
  'not linked: linking would exceed a per-type identifier limit or join two user_ids')

local target, created = nil, false
local dirty = {}  -- target hash fields to write
local mergedFrom, tombstones = {}, {}

if #matched == 0 then
  target = { id = req.founder, v = 0, fs = ts, ls = ts, mf = {}, ids = {}, counts = {}, traits = {},
             traitCount = 0, traitBytes = 0 }
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

-- A winning write is kept unless it adds a trait past maxTraits or grows the stored traits past
-- maxTraitBytes (name plus stored entry, in bytes): a profile's snapshot stays bounded.
local cappedTraits = {}
local function mergeTrait(p, name, incomingRaw)
  local old = p.traits[name]
  if not traitWins(old, parseTrait(incomingRaw)) then return end
  local grow
  if old == nil then
    if p.traitCount >= rules.maxTraits then
      cappedTraits[#cappedTraits + 1] = name
      return
    end
    grow = #name + #incomingRaw
  else
    grow = #incomingRaw - #old
  end
  if grow > 0 and p.traitBytes + grow > rules.maxTraitBytes then
    cappedTraits[#cappedTraits + 1] = name
    return
  end
  if old == nil then p.traitCount = p.traitCount + 1 end
  p.traitBytes = p.traitBytes + grow
  p.traits[name] = incomingRaw
  dirty['t:' .. name] = incomingRaw
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
      local moved = {}
      for _, identifier in ipairs(loser.ids) do
        addIdentifier(target, identifier)
        moved[#moved + 1] = identifier
      end
      -- By name, so which of the loser's traits fit under the caps does not depend on hash order.
      local names = {}
      for name in pairs(loser.traits) do names[#names + 1] = name end
      table.sort(names, bytesLess)
      for _, name in ipairs(names) do mergeTrait(target, name, loser.traits[name]) end
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
      tombstones[#tombstones + 1] = { profileId = loser.id, mergedInto = target.id, version = loser.v + 1,
        moved = moved }
    end
  end
end

-- New identifiers, within the cap on identifiers per profile.
local added, overCap = {}, {}
for _, i in ipairs(fresh) do
  local identifier = ids[i]
  if #target.ids >= rules.maxIds then
    refused[#refused + 1] = { identifier = identifier, reason = 'identifier_cap' }
    overCap[#overCap + 1] = identifier
  else
    addIdentifier(target, identifier)
    added[#added + 1] = identifier
  end
end
summaryWarning('identifier_cap', 'identifier', overCap,
  'not linked: the profile has ' .. rules.maxIds .. ' identifiers')

for _, op in ipairs(req.traits) do mergeTrait(target, op[1], encodeTrait(op[2], ts, op[3])) end
summaryWarning('trait_cap', 'trait', cappedTraits, 'not written: the profile would exceed ' .. rules.maxTraits ..
  ' traits or ' .. rules.maxTraitBytes .. ' bytes of traits')

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

local outcome = cjson.encode({
  profileId = target.id, version = target.v, at = req.now, created = created, changed = changed,
  mergedFrom = mergedFrom, added = added, refused = refused, traitsChanged = traitsChanged,
  tombstones = tombstones, warnings = warnings,
})
-- Kept until the caller's outputs are acknowledged (it deletes the key); the TTL bounds a leak.
redis.call('SET', outcomeKey, outcome, 'PX', req.outcomeTtlMs)
-- Indexed by digest so a privacy delete reads the tenant's outcomes without walking the keyspace;
-- release-outcomes-1.lua removes the entry, one whose key expired is dropped by the reader.
redis.call('SADD', prefix .. ':o-index', string.sub(outcomeKey, #prefix + 4))

return '{"status":"resolved","outcome":' .. outcome .. ',"profile":' .. cjson.encode(profileSnapshot(target)) .. '}'
