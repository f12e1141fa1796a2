--[=[
  Removes the journey state of profiles (privacy deletion): each profile's hash and the timers of its
  running instances. Timer members are `<profileId>|<journeyId>|<seq>` (journey-keys.ts).

  KEYS[1] timers     {t:<tenant>}:j:timers
  KEYS[2] unused     (the key count is fixed; pass KEYS[1] again)
  ARGV    prefix of profile hashes ({t:<tenant>}:j:p:), then profile ids
  Returns the number of profiles that had journey state.
]=]
local removed = 0
for i = 2, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  local fields = redis.call('HGETALL', key)
  if #fields > 0 then
    removed = removed + 1
    for k = 1, #fields, 2 do
      local f = fields[k]
      if string.sub(f, 1, 1) ~= '~' then
        -- journey-state.ts: entries|endedAt|occurrences|id|version|step|seq(base 36)|...
        local parts = {}
        for part in string.gmatch(fields[k + 1] .. '|', '([^|]*)|') do parts[#parts + 1] = part end
        if parts[4] ~= nil and parts[4] ~= '' then
          local seq = tonumber(parts[7], 36)
          if seq then redis.call('ZREM', KEYS[1], ARGV[i] .. '|' .. f .. '|' .. string.format('%d', seq)) end
        end
      end
    end
    redis.call('DEL', key)
  end
end
return removed
