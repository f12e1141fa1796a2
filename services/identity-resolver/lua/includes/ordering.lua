-- Orderings shared by the identity scripts. Strings are compared byte by byte: Lua's `<` uses the
-- server's collation locale, which would make survivors depend on how Redis was started.

local function bytesLess(a, b)
  local la, lb = #a, #b
  local n = la < lb and la or lb
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return la < lb
end

local function typeOf(identifier)
  local colon = string.find(identifier, ':', 1, true)
  return string.sub(identifier, 1, colon - 1)
end

-- rules.rank: type -> position in the tenant's priority list; rules.otherRank for unlisted types
-- (which then order alphabetically among themselves).
local function typeBefore(rules, a, b)
  local ra = rules.rank[a] or rules.otherRank
  local rb = rules.rank[b] or rules.otherRank
  if ra ~= rb then return ra < rb end
  return bytesLess(a, b)
end

local function limitFor(rules, identifierType)
  return rules.limits[identifierType] or rules.defaultLimit
end

-- The highest-priority identifier type a profile holds (nil for a profile without identifiers).
local function bestType(rules, profile)
  local best = nil
  for t, count in pairs(profile.counts) do
    if count > 0 and (best == nil or typeBefore(rules, t, best)) then best = t end
  end
  return best
end

-- Survivor order: highest-priority identifier, then oldest (first seen), then smaller id.
local function profileBefore(rules, a, b)
  local ta, tb = bestType(rules, a), bestType(rules, b)
  if ta ~= tb then
    if ta == nil then return false end
    if tb == nil then return true end
    return typeBefore(rules, ta, tb)
  end
  if a.fs ~= b.fs then return a.fs < b.fs end
  return bytesLess(a.id, b.id)
end

-- Insertion sort: stable, tiny inputs, and no "invalid order function" surprises.
local function sortProfiles(rules, list)
  for i = 2, #list do
    local item = list[i]
    local j = i - 1
    while j >= 1 and profileBefore(rules, item, list[j]) do
      list[j + 1] = list[j]
      j = j - 1
    end
    list[j + 1] = item
  end
end
