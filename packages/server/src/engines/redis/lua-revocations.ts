import { PRELUDE } from './lua-prelude.js';

// The scripts of revocations: revoked keys and per-user cut-offs, each with its expiry.

/**
 * Revokes a key until a time (epoch ms), keeping the later time if it is already revoked, and
 * lists it in the revocation index (dropping expired members) for the nodes' copies. KEYS: the
 * revocation key, the index, the version counter. ARGV: until, index member. Returns 1 when it
 * wrote (and bumped the counter), 0 when a revocation at least as long was in force.
 */
export const REVOKE = `${PRELUDE}
local untilMs = tonumber(ARGV[1])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and now + ttl >= untilMs then
  -- Already in force (perhaps written before the index existed): make sure the index lists it.
  redis.call('ZADD', KEYS[2], fmt(now + ttl), ARGV[2])
  return 0
end
redis.call('SET', KEYS[1], '1', 'PXAT', fmt(untilMs))
redis.call('ZADD', KEYS[2], fmt(untilMs), ARGV[2])
redis.call('INCR', KEYS[3])
return 1
`;

/**
 * Sets a cut-off (credentials issued at or before ARGV[1] are refused) until ARGV[2], keeping the
 * later of each when one is in force, and lists it in the revocation index. KEYS: the cut-off
 * key, the index, the version counter. ARGV: issued-up-to, until, index member.
 */
export const CUTOFF = `${PRELUDE}
local upTo = tonumber(ARGV[1])
local untilMs = tonumber(ARGV[2])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
local cur = redis.call('GET', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if cur and ttl >= 0 then
  local cu = tonumber(cur)
  local ce = now + ttl
  if cu >= upTo and ce >= untilMs then
    redis.call('ZADD', KEYS[2], fmt(ce), ARGV[3])
    return 0
  end
  if cu > upTo then upTo = cu end
  if ce > untilMs then untilMs = ce end
end
redis.call('SET', KEYS[1], fmt(upTo), 'PXAT', fmt(untilMs))
redis.call('ZADD', KEYS[2], fmt(untilMs), ARGV[3])
redis.call('INCR', KEYS[3])
return 1
`;
