--[=[
  Removes the journey state of profiles (privacy deletion): each profile's field in its bucket and
  the timers of its running instances. Timer members are `<field>|<journeyId>|<seq>` with the seq in
  base 36 as the slot holds it (journey-keys.ts), so the member is rebuilt from the state's text.

  KEYS[1] timers     {t:<tenant>}:j:timers
  KEYS[2] unused     (the key count is fixed; pass KEYS[1] again)
  ARGV    pairs: bucket key ({t:<tenant>}:j:b:<bucket>), the profile's field in it
  Returns the number of profiles that had journey state.
]=]
local removed = 0
for i = 1, #ARGV, 2 do
  local key, field = ARGV[i], ARGV[i + 1]
  local text = redis.call('HGET', key, field)
  if text then
    removed = removed + 1
    -- journey-state.ts: the marks line, then `<journeyId> <slot>` lines; a slot is
    -- entries|endedAt|occurrences|id|version|step|seq|... and runs when it has an id.
    for line in string.gmatch(text, '\n([^\n]*)') do
      local journey, slot = string.match(line, '^([^ ]+) (.*)$')
      if journey then
        local parts = {}
        for part in string.gmatch(slot .. '|', '([^|]*)|') do parts[#parts + 1] = part end
        if parts[4] ~= nil and parts[4] ~= '' and parts[7] ~= nil then
          redis.call('ZREM', KEYS[1], field .. '|' .. journey .. '|' .. parts[7])
        end
      end
    end
    redis.call('HDEL', key, field)
  end
end
return removed
