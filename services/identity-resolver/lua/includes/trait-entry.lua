-- Stored trait entries: `<s|o|u><epoch ms>|<json>` (set, set_once, unset). Values stay JSON text
-- produced by TypeScript (canonical, keys sorted), so equality is string equality and cjson never
-- re-encodes them. The rule mirrors traitEntryWins in trait-operations.ts.

local function parseTrait(raw)
  local bar = string.find(raw, '|', 2, true)
  return { kind = string.sub(raw, 1, 1), ts = tonumber(string.sub(raw, 2, bar - 1)), value = string.sub(raw, bar + 1) }
end

local function encodeTrait(kind, ts, value)
  return kind .. string.format('%d', ts) .. '|' .. (kind == 'u' and '' or value)
end

local function traitWins(existingRaw, incoming)
  if not existingRaw then return true end
  local existing = parseTrait(existingRaw)
  if incoming.kind == 's' then
    return existing.kind == 'o' or incoming.ts > existing.ts
  elseif incoming.kind == 'u' then
    return incoming.ts > existing.ts
  else
    if existing.kind == 'u' then return incoming.ts > existing.ts end
    if existing.kind == 'o' then return incoming.ts < existing.ts end
    return false
  end
end

-- What a reader sees: the JSON text, or nil when unset / absent.
local function visibleValue(raw)
  if not raw or string.sub(raw, 1, 1) == 'u' then return nil end
  local bar = string.find(raw, '|', 2, true)
  return string.sub(raw, bar + 1)
end
