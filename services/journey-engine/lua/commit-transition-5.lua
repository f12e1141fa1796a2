--[=[
  Commits one computed transition of a profile's journeys, or nothing: the engine read the profile's
  state (and the loser's, for a merge), computed the new state in TypeScript, and this script writes
  it only if neither state changed since (the whole text compared: the transition is a function of
  the state, so the same text again is the same state), and, for a timer, only if the timer is still
  set. State, timers, the actions outbox and the step log change together, so a crash leaves either
  the whole transition or none of it: an action is queued exactly once.

  KEYS[1] bucket hash        {t:<tenant>}:j:b:<bucket> of the profile (journey-keys.ts)
  KEYS[2] second bucket      the merged-away profile's (KEYS[1] again when there is none)
  KEYS[3] timers             {t:<tenant>}:j:timers (zset: member -> due epoch ms)
  KEYS[4] actions outbox     {t:<tenant>}:j:out (stream, field `a`: JSON of the action record)
  KEYS[5] step log outbox    {t:<tenant>}:j:log (stream, field `l`: JSON of the step log row)
  ARGV[1] JSON {
    fa, va          the profile's field in KEYS[1] and its expected text ("" when absent)
    next            its new text ("" deletes the field)
    fb, vb          the merged-away profile's field in KEYS[2] and its expected text (fb absent: none);
                    the field is deleted
    require         a timer member that must still be in KEYS[3] (absent: no condition)
    zrem, zadd      timer members to remove ([member]) / add ([[due, member]])
    actions, log    JSON texts appended to KEYS[4] / KEYS[5]
  }
  Returns 'ok', 'conflict' (a state changed: read again) or 'stale' (the timer is gone).
]=]
local c = cjson.decode(ARGV[1])
local va = redis.call('HGET', KEYS[1], c.fa) or ''
if va ~= c.va then return 'conflict' end
local fb = c.fb
if type(fb) ~= 'string' then fb = nil end
if fb then
  local vb = redis.call('HGET', KEYS[2], fb) or ''
  if vb ~= c.vb then return 'conflict' end
end
if c.require and not redis.call('ZSCORE', KEYS[3], c.require) then return 'stale' end

if fb then redis.call('HDEL', KEYS[2], fb) end
if c.next == '' then redis.call('HDEL', KEYS[1], c.fa) else redis.call('HSET', KEYS[1], c.fa, c.next) end
if c.zrem and #c.zrem > 0 then redis.call('ZREM', KEYS[3], unpack(c.zrem)) end
if c.zadd then for _, z in ipairs(c.zadd) do redis.call('ZADD', KEYS[3], z[1], z[2]) end end
if c.actions then for _, a in ipairs(c.actions) do redis.call('XADD', KEYS[4], '*', 'a', a) end end
if c.log then for _, l in ipairs(c.log) do redis.call('XADD', KEYS[5], '*', 'l', l) end end
return 'ok'
