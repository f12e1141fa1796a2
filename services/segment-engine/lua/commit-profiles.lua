-- commit-profiles: writes one evaluation step of the segment engine, if no profile state it read
-- has changed since (optimistic: the caller reads, evaluates in TypeScript, and commits here).
-- Every key it touches is in KEYS (a variable number); the plan in ARGV[1] names them by index.
--
-- ARGV[1]: JSON {   (ARGV[2..] hold the texts it names by index a)
--   checks:  [[i, v]]          state hash KEYS[i] must still have field v = v (0: absent)
--   states:  [[i, v, a]]       HSET KEYS[i] v <v> s ARGV[a] (the state's JSON)
--   dels:    [i]               DEL KEYS[i]
--   zadd:    [[i, score, member]]
--   zrem:    [[i, member]]
--   outcomes: [[i, a, ttlSeconds]] SET KEYS[i] ARGV[a] EX ttl, each refused if it exists
--   sadd:    [[i, member]]
-- }
-- Returns 1 applied; 0 a state moved on (read again and retry); 2 an outcome exists already
-- (another delivery of the same input committed first: re-send its records).
local plan = cjson.decode(ARGV[1])

for _, c in ipairs(plan.checks) do
  local v = tonumber(redis.call('HGET', KEYS[c[1]], 'v') or '0')
  if v ~= c[2] then return 0 end
end
for _, o in ipairs(plan.outcomes) do
  if redis.call('EXISTS', KEYS[o[1]]) == 1 then return 2 end
end

for _, s in ipairs(plan.states) do
  redis.call('HSET', KEYS[s[1]], 'v', s[2], 's', ARGV[s[3]])
end
for _, i in ipairs(plan.dels) do redis.call('DEL', KEYS[i]) end
for _, z in ipairs(plan.zadd) do redis.call('ZADD', KEYS[z[1]], z[2], z[3]) end
for _, z in ipairs(plan.zrem) do redis.call('ZREM', KEYS[z[1]], z[2]) end
for _, o in ipairs(plan.outcomes) do
  redis.call('SET', KEYS[o[1]], ARGV[o[2]], 'EX', o[3])
end
for _, s in ipairs(plan.sadd) do redis.call('SADD', KEYS[s[1]], s[2]) end
return 1
