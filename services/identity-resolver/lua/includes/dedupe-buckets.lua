-- Which messages were already applied, kept compact: a message is one field in a hash bucket
--   <prefix>:m:<period>:<bucket>   field = first 16 bytes of SHA-1(messageId), value = the profile
--                                  id it resolved to as 16 raw bytes; the caller computes the
--                                  digest and the bucket (bytes 17-20 modulo the bucket count)
-- Periods are a seventh of the dedupe window; the 8 latest periods are searched, so a message is
-- recognised for at least the window and at most the window plus one period. Each bucket expires
-- one window after its period ends. Small buckets stay listpack-encoded (about 40 bytes a message
-- instead of about 190 for a key per message with its own TTL); `buckets` spreads a period over
-- that many hashes.

local DEDUPE_PERIODS = 8

-- Four 8-digit chunks rather than a callback per byte: this runs on every event.
local function uuidToBytes(id)
  local hex = string.gsub(id, '-', '')
  if #hex ~= 32 or not string.match(hex, '^%x+$') then error('not a UUID profile id: ' .. id) end
  local out = {}
  for i = 1, 32, 8 do
    local n = tonumber(string.sub(hex, i, i + 7), 16)
    out[#out + 1] = string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
      math.floor(n / 256) % 256, n % 256)
  end
  return table.concat(out)
end

local function bytesToUuid(bytes)
  local hex = string.gsub(bytes, '.', function(c) return string.format('%02x', string.byte(c)) end)
  return string.sub(hex, 1, 8) .. '-' .. string.sub(hex, 9, 12) .. '-' .. string.sub(hex, 13, 16) .. '-' ..
    string.sub(hex, 17, 20) .. '-' .. string.sub(hex, 21, 32)
end

-- Where a message (its 16-byte digest `field`, its `bucket`) is recorded at time `now`.
local function dedupeSlot(prefix, field, bucket, now, windowMs)
  local period = math.ceil(windowMs / (DEDUPE_PERIODS - 1))
  return {
    prefix = prefix .. ':m:',
    field = field,
    bucket = bucket,
    current = math.floor(now / period),
    period = period,
    windowMs = windowMs,
  }
end

local function dedupeKeyOf(slot, period)
  return slot.prefix .. period .. ':' .. slot.bucket
end

-- The profile id the message resolved to when it was seen within the window, else nil.
local function seenProfileId(slot)
  for p = slot.current, slot.current - DEDUPE_PERIODS + 1, -1 do
    local value = redis.call('HGET', dedupeKeyOf(slot, p), slot.field)
    if value then return bytesToUuid(value) end
  end
  return nil
end

local function recordSeen(slot, profileId)
  local key = dedupeKeyOf(slot, slot.current)
  redis.call('HSET', key, slot.field, uuidToBytes(profileId))
  redis.call('PEXPIREAT', key, (slot.current + 1) * slot.period + slot.windowMs)
end
