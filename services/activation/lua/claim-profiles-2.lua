-- Takes up to ARGV[3] profiles whose turn has come and leases them: their score moves to the lease
-- end, so a worker that dies mid-delivery leaves them due again when the lease ends (the same
-- deliveries are sent again, same ids). A profile's later deliveries wait behind its head.
-- KEYS[1] ready     {a:<tenant>:<destination>}:ready
-- KEYS[2] attempts  {a:<tenant>:<destination>}:attempts (hash idempotency id -> attempts made)
-- ARGV[1] now ms, ARGV[2] lease end ms, ARGV[3] max profiles, ARGV[4] max items per profile,
-- ARGV[5] key prefix {a:<tenant>:<destination>}
-- Returns a flat list: profileId, attempts of its head, its first items (JSON), repeated.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, profile in ipairs(due) do
  local items = redis.call('LRANGE', ARGV[5] .. ':q:' .. profile, 0, tonumber(ARGV[4]) - 1)
  if #items == 0 then
    redis.call('ZREM', KEYS[1], profile)
  else
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], profile)
    local head = cjson.decode(items[1])
    out[#out + 1] = profile
    out[#out + 1] = tonumber(redis.call('HGET', KEYS[2], head.id) or '0')
    out[#out + 1] = items
  end
end
return out
