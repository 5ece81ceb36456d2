import { PRELUDE } from './lua-prelude.js';

// The scripts of age retention and of the topic index it walks.

/**
 * Age-based retention for some topics. ARGV: key base, then triples: topic, cutoff (events with
 * `ts` below it go), the topic's age limit. Only a prefix of each stream is removed: it stops at
 * the first young event. A topic left empty is forgotten (every key and index entry of it), its
 * watermark kept per age limit in `pruned`. Returns how many events were removed.
 */
export const PRUNE = `${PRELUDE}
local pre = ARGV[1]
local removed = 0
for i = 2, #ARGV, 3 do
  local topic = ARGV[i]
  local cutoff = tonumber(ARGV[i + 1])
  local age = ARGV[i + 2]
  local key = pre .. 't:' .. topic
  local gone = {}
  local from = '-'
  local stop = false
  while not stop do
    local batch = redis.call('XRANGE', key, from, '+', 'COUNT', 200)
    for _, e in ipairs(batch) do
      if tonumber(field(e[2], 'ts')) < cutoff then
        gone[#gone + 1] = e
      else
        stop = true
        break
      end
    end
    if #batch < 200 then stop = true end
    if not stop then from = '(' .. batch[#batch][1] end
  end
  if #gone > 0 then
    forget(pre, topic, gone)
    local ms, seq = split_id(gone[#gone][1])
    redis.call('XTRIM', key, 'MINID', fmt(ms) .. '-' .. fmt(seq + 1))
    removed = removed + #gone
  end
  refresh_age(pre, topic)
  if redis.call('XLEN', key) == 0 then
    local w = redis.call('HGET', pre .. 'evicted', topic)
    redis.call('DEL', key)
    redis.call('ZREM', pre .. 'topics', topic)
    redis.call('ZREM', pre .. 'recent', topic)
    redis.call('ZREM', pre .. 'evicted-at', topic)
    redis.call('HDEL', pre .. 'evicted', topic)
    if w then
      local old = redis.call('HGET', pre .. 'pruned', age)
      local wms, wseq = split_id(w)
      local oms, oseq = 0, 0
      if old then oms, oseq = split_id(old) end
      if not old or wms > oms or (wms == oms and wseq > oseq) then redis.call('HSET', pre .. 'pruned', age, w) end
    end
  end
end
return removed
`;

/**
 * Fills `recent` and `evicted-at` for a page of topics of a history written before they
 * existed. ARGV: key base, offset, count. Returns how many topics the page held.
 */
export const INDEX_TOPICS = `${PRELUDE}
local pre = ARGV[1]
local page = redis.call('ZRANGE', pre .. 'topics', tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1)
for _, topic in ipairs(page) do
  local newest = redis.call('XREVRANGE', pre .. 't:' .. topic, '+', '-', 'COUNT', 1)
  if #newest > 0 then
    local ms = split_id(newest[1][1])
    local known = redis.call('ZSCORE', pre .. 'recent', topic)
    if not known or tonumber(known) < ms then redis.call('ZADD', pre .. 'recent', fmt(ms), topic) end
  end
  local w = redis.call('HGET', pre .. 'evicted', topic)
  if w then redis.call('ZADD', pre .. 'evicted-at', (split_id(w)), topic) end
end
return #page
`;
