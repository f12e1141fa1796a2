-- Ends a profile's lease after an attempt.
-- KEYS[1] ready     {a:<tenant>:<destination>}:ready
-- KEYS[2] queue     {a:<tenant>:<destination>}:q:<profileId>
-- KEYS[3] attempts  {a:<tenant>:<destination>}:attempts
-- ARGV[1] profileId, ARGV[2] 'pop' | 'park' | 'release', ARGV[3] now ms,
-- ARGV[4] pop: ids of the head items settled (delivered or dead-lettered), comma separated;
--         park: the head's id; ARGV[5] park: due ms
-- pop removes exactly those head items (checked: a lease that ran out may have let another worker
-- settle them first) and makes the profile due again if more wait; park counts an attempt of the
-- head and sets its turn to the due time; release makes it due now. Returns the attempts (park) or
-- the items removed (pop).
if ARGV[2] == 'pop' then
  local removed = 0
  for id in string.gmatch(ARGV[4], '[^,]+') do
    local head = redis.call('LINDEX', KEYS[2], 0)
    if not head or cjson.decode(head).id ~= id then break end
    redis.call('LPOP', KEYS[2])
    redis.call('HDEL', KEYS[3], id)
    removed = removed + 1
  end
  if redis.call('LLEN', KEYS[2]) > 0 then
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  else
    redis.call('ZREM', KEYS[1], ARGV[1])
  end
  return removed
elseif ARGV[2] == 'park' then
  local attempts = redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
  return attempts
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 0
end
