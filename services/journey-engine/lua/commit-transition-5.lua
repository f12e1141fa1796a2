--[=[
  Commits one computed transition of a profile's journeys, or nothing: the engine read the profile's
  hash (and the loser's, for a merge), computed the new slots in TypeScript, and this script writes
  them only if neither hash changed since (its `~v` write counter), and, for a timer, only if the
  timer is still set. Slots, timers, the actions outbox and the step log change together, so a crash
  leaves either the whole transition or none of it: an action is queued exactly once.

  KEYS[1] profile hash       {t:<tenant>}:j:p:<profileId>
  KEYS[2] second hash        the merged-away profile's (KEYS[1] again when there is none)
  KEYS[3] timers             {t:<tenant>}:j:timers (zset: member -> due epoch ms)
  KEYS[4] actions outbox     {t:<tenant>}:j:out (stream, field `a`: JSON of the action record)
  KEYS[5] step log outbox    {t:<tenant>}:j:log (stream, field `l`: JSON of the step log row)
  ARGV[1] JSON {
    va, vb          expected `~v` of KEYS[1] / KEYS[2] ("" when the field is absent)
    require         a timer member that must still be in KEYS[3] (absent: no condition)
    set, del        fields to write / delete in KEYS[1] ({field: text}, [field])
    dropB           delete KEYS[2] (a merged-away profile)
    zrem, zadd      timer members to remove ([member]) / add ([[due, member]])
    actions, log    JSON texts appended to KEYS[4] / KEYS[5]
  }
  Returns 'ok', 'conflict' (a hash changed: read again) or 'stale' (the timer is gone).
]=]
local c = cjson.decode(ARGV[1])
local va = redis.call('HGET', KEYS[1], '~v') or ''
if va ~= c.va then return 'conflict' end
if KEYS[2] ~= KEYS[1] then
  local vb = redis.call('HGET', KEYS[2], '~v') or ''
  if vb ~= c.vb then return 'conflict' end
end
if c.require and not redis.call('ZSCORE', KEYS[3], c.require) then return 'stale' end

local next = tostring((tonumber(va) or 0) + 1)
local args = { '~v', next }
if c.set then for f, v in pairs(c.set) do args[#args + 1] = f; args[#args + 1] = v end end
redis.call('HSET', KEYS[1], unpack(args))
if c.del and #c.del > 0 then redis.call('HDEL', KEYS[1], unpack(c.del)) end
if c.dropB and KEYS[2] ~= KEYS[1] then redis.call('DEL', KEYS[2]) end
if c.zrem and #c.zrem > 0 then redis.call('ZREM', KEYS[3], unpack(c.zrem)) end
if c.zadd then for _, z in ipairs(c.zadd) do redis.call('ZADD', KEYS[3], z[1], z[2]) end end
if c.actions then for _, a in ipairs(c.actions) do redis.call('XADD', KEYS[4], '*', 'a', a) end end
if c.log then for _, l in ipairs(c.log) do redis.call('XADD', KEYS[5], '*', 'l', l) end end
return 'ok'
