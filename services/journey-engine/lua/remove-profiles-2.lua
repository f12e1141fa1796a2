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
        local ok, slot = pcall(cjson.decode, fields[k + 1])
        if ok and type(slot) == 'table' and type(slot.r) == 'table' then
          redis.call('ZREM', KEYS[1], ARGV[i] .. '|' .. f .. '|' .. tostring(slot.r.q))
        end
      end
    end
    redis.call('DEL', key)
  end
end
return removed
