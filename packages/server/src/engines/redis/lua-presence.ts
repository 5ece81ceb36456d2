import { PRELUDE } from './lua-prelude.js';

// The scripts of presence: announcing connections and counting them per topic.

/**
 * Marks connections present. ARGV: key base, TTL ms, then triples: topic or pattern, member,
 * "1" if it is a wildcard pattern. Members expire (by score) TTL ms from Redis' clock unless
 * announced again, which is how a dead node's connections disappear.
 */
export const PRESENCE_ANNOUNCE = `${PRELUDE}
local pre = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = now_ms()
local exp = fmt(now + ttl)
local seen = {}
for i = 3, #ARGV, 3 do
  local key = pre .. 'pres:' .. ARGV[i]
  redis.call('ZADD', key, exp, ARGV[i + 1])
  if not seen[key] then
    seen[key] = true
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(now))
    redis.call('PEXPIRE', key, fmt(ttl * 2))
    if ARGV[i + 2] == '1' then redis.call('ZADD', pre .. 'pres-patterns', exp, ARGV[i]) end
  end
end
return 1
`;

/** The live members for a topic: its own and those of every live pattern matching it. ARGV: key base, topic. */
export const PRESENCE_QUERY = `${PRELUDE}
local pre = ARGV[1]
local topic = ARGV[2]
local now = fmt(now_ms())
local out = {}
local function collect(name)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', pre .. 'pres:' .. name, now, '+inf')) do
    out[#out + 1] = m
  end
end
collect(topic)
redis.call('ZREMRANGEBYSCORE', pre .. 'pres-patterns', '-inf', '(' .. now)
local ts = segs(topic)
for _, p in ipairs(redis.call('ZRANGE', pre .. 'pres-patterns', 0, -1)) do
  if matches(segs(p), ts) then collect(p) end
end
return out
`;
