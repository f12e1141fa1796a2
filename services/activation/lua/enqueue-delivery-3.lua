-- Queues one delivery behind the profile's earlier ones, once per idempotency id.
-- KEYS[1] id marker   {a:<tenant>:<destination>}:id:<idempotency id>
-- KEYS[2] queue       {a:<tenant>:<destination>}:q:<profileId>   (list, oldest first)
-- KEYS[3] ready       {a:<tenant>:<destination>}:ready           (zset profile -> due ms)
-- ARGV[1] delivery JSON, ARGV[2] profileId, ARGV[3] now ms, ARGV[4] marker TTL s,
-- ARGV[5] '1' to queue even when the marker exists (a replay of a dead letter)
-- Returns 1 when queued, 0 when the id was queued before (a record handled again).
if ARGV[5] == '1' then
  redis.call('SET', KEYS[1], '1', 'EX', ARGV[4])
elseif not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[4]) then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[1])
-- NX: a parked profile stays parked; a profile already due keeps its place.
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[2])
return 1
