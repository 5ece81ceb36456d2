import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis engine. Each runs atomically inside Redis, which is what makes a
 * batch append all-or-nothing, assigns cluster-wide positions in call order, and puts the event
 * on the fan-out stream in the same step that makes it durable (so fan-out order is position
 * order across every node).
 *
 * Layout (see keys.ts): per-topic streams `t:<topic>` whose entry ids are positions
 * (`<ms>-<seq>`, from Redis' clock, strictly increasing across all topics); `fanout`, a capped
 * stream of every new event, entry id = position, each entry naming the previous position (`p`)
 * so a reader can tell when entries it never saw were trimmed away.
 */

const PRELUDE = `
local function fmt(n) return string.format('%.0f', n) end
local function split_id(id)
  local d = string.find(id, '-', 1, true)
  if not d then return tonumber(id), 0 end
  return tonumber(string.sub(id, 1, d - 1)), tonumber(string.sub(id, d + 1))
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ensure_epoch(pre, candidate)
  local e = redis.call('GET', pre .. 'epoch')
  if not e then
    redis.call('SET', pre .. 'epoch', candidate)
    e = candidate
  end
  return e
end
-- The secret of this history's generated ids, made with the epoch (and with it again if Redis
-- loses its data): only the nodes turn positions into ids, with it (see GeneratedIds).
local function ensure_idkey(pre, candidate)
  local k = redis.call('GET', pre .. 'idkey')
  if not k then
    redis.call('SET', pre .. 'idkey', candidate)
    k = candidate
  end
  return k
end
-- Supplied ids: hash 'ids', field "<topic>\\n<id>" -> lines "<pos> <publisher>", one per publisher
-- that used the id on the topic (idempotency is per publisher and topic; resume looks at the
-- topics a stream covers only).
local function id_field(topic, sid) return topic .. '\\n' .. sid end
local function drop_line(pre, fieldname, pos)
  local lines = redis.call('HGET', pre .. 'ids', fieldname)
  if not lines then return end
  local keep = {}
  for line in string.gmatch(lines, '[^\\n]+') do
    if string.sub(line, 1, #pos + 1) ~= pos .. ' ' then keep[#keep + 1] = line end
  end
  if #keep == 0 then
    redis.call('HDEL', pre .. 'ids', fieldname)
  else
    redis.call('HSET', pre .. 'ids', fieldname, table.concat(keep, '\\n'))
  end
end
local function field(flat, name)
  for i = 1, #flat, 2 do
    if flat[i] == name then return flat[i + 1] end
  end
  return nil
end
-- Retention removed these entries (oldest first) from a topic: forget their supplied ids and
-- raise the topic's eviction watermark, so readers resuming from before it learn of the gap.
local function forget(pre, topic, entries)
  if #entries == 0 then return end
  for _, e in ipairs(entries) do
    local sid = field(e[2], 'i')
    if sid then drop_line(pre, id_field(topic, sid), e[1]) end
  end
  local w = entries[#entries][1]
  redis.call('HSET', pre .. 'evicted', topic, w)
  redis.call('ZADD', pre .. 'evicted-at', (split_id(w)), topic)
end
local function refresh_age(pre, topic)
  local first = redis.call('XRANGE', pre .. 't:' .. topic, '-', '+', 'COUNT', 1)
  if #first == 0 then
    redis.call('ZREM', pre .. 'ages', topic)
  else
    redis.call('ZADD', pre .. 'ages', field(first[1][2], 'ts'), topic)
  end
end
local alloc_ms, alloc_seq, last_id
local function load_last(pre)
  last_id = redis.call('GET', pre .. 'last') or '0-0'
  alloc_ms, alloc_seq = split_id(last_id)
end
-- The next position: Redis' clock in ms, or the last position's ms with the next sequence
-- number when the clock has not moved on (or went back). Returns it and the previous one.
local function next_pos(now)
  if now > alloc_ms then
    alloc_ms = now
    alloc_seq = 0
  else
    alloc_seq = alloc_seq + 1
  end
  local prev = last_id
  last_id = fmt(alloc_ms) .. '-' .. fmt(alloc_seq)
  return last_id, prev
end
local function segs(s)
  local t = {}
  for p in string.gmatch(s, '[^/]+') do t[#t + 1] = p end
  return t
end
local function matches(pat, top)
  local deep = pat[#pat] == '**'
  local fixed = #pat
  if deep then
    fixed = fixed - 1
    if #top < fixed then return false end
  elseif #top ~= fixed then
    return false
  end
  for i = 1, fixed do
    if pat[i] ~= '*' and pat[i] ~= top[i] then return false end
  end
  return true
end
`;

/**
 * Appends a batch. KEYS[1]: the epoch key. ARGV: key base, epoch candidate, fan-out length, id key
 * candidate, then 8 values per event: supplied id or "", publisher key (no spaces), topic, type,
 * ts, data, meta JSON or "", the topic's maxEvents. Returns `{idkey, rows}`, a row per event:
 * `{0, pos, supplied id or ""}`, or, when the same publisher already stored the id on the topic,
 * `{1, pos, id, topic, fields}` of that original. A generated id is made by the node from the
 * position and the id key; the stream entries carry the supplied id only.
 */
export const APPEND = `${PRELUDE}
local pre = ARGV[1]
local epoch = ensure_epoch(pre, ARGV[2])
local fmax = ARGV[3]
local idkey = ensure_idkey(pre, ARGV[4])
local now = now_ms()
load_last(pre)
local out = {}
local limits = {}
local touched = {}
for i = 5, #ARGV, 8 do
  local sid, pub, topic, typ, ts, data, meta, maxev =
    ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
  local done = false
  local fieldname, lines
  if sid ~= '' then
    fieldname = id_field(topic, sid)
    lines = redis.call('HGET', pre .. 'ids', fieldname)
    if lines then
      -- Only this publisher's own event on this topic is a duplicate.
      for line in string.gmatch(lines, '[^\\n]+') do
        local sp = string.find(line, ' ', 1, true)
        if string.sub(line, sp + 1) == pub then
          local rpos = string.sub(line, 1, sp - 1)
          local e = redis.call('XRANGE', pre .. 't:' .. topic, rpos, rpos)
          if #e > 0 then
            out[#out + 1] = { 1, rpos, sid, topic, e[1][2] }
            done = true
          else
            drop_line(pre, fieldname, rpos)
            lines = redis.call('HGET', pre .. 'ids', fieldname)
          end
          break
        end
      end
    end
  end
  if not done then
    local pos, prev = next_pos(now)
    local fields = { 'y', typ, 'ts', ts, 'd', data }
    if meta ~= '' then
      fields[#fields + 1] = 'm'
      fields[#fields + 1] = meta
    end
    if sid ~= '' then
      redis.call('XADD', pre .. 't:' .. topic, pos, 'i', sid, unpack(fields))
      redis.call('HSET', pre .. 'ids', fieldname, (lines and (lines .. '\\n') or '') .. pos .. ' ' .. pub)
      redis.call('XADD', pre .. 'fanout', 'MAXLEN', fmax, pos, 'p', prev, 'e', epoch, 't', topic, 'i', sid, unpack(fields))
    else
      redis.call('XADD', pre .. 't:' .. topic, pos, unpack(fields))
      redis.call('XADD', pre .. 'fanout', 'MAXLEN', fmax, pos, 'p', prev, 'e', epoch, 't', topic, unpack(fields))
    end
    redis.call('ZADD', pre .. 'topics', 0, topic)
    redis.call('ZADD', pre .. 'recent', fmt(alloc_ms), topic)
    redis.call('ZADD', pre .. 'ages', 'NX', ts, topic)
    if not limits[topic] then touched[#touched + 1] = topic end
    limits[topic] = tonumber(maxev)
    out[#out + 1] = { 0, pos, sid }
  end
end
redis.call('SET', pre .. 'last', last_id)
for _, topic in ipairs(touched) do
  local max = limits[topic]
  local key = pre .. 't:' .. topic
  local len = redis.call('XLEN', key)
  if len > max then
    forget(pre, topic, redis.call('XRANGE', key, '-', '+', 'COUNT', len - max))
    redis.call('XTRIM', key, 'MAXLEN', max)
    refresh_age(pre, topic)
  end
end
return { idkey, out }
`;

/**
 * The retained events carrying a supplied id on some topics (a resume lookup that never looks at
 * other topics). ARGV: key base, the id, most events to return, topics… Returns
 * `{{{topic, pos, fields}…}, idkey}`, in no particular order.
 */
export const RESOLVE = `${PRELUDE}
local pre = ARGV[1]
local sid = ARGV[2]
local cap = tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV do
  local topic = ARGV[i]
  local lines = redis.call('HGET', pre .. 'ids', id_field(topic, sid))
  if lines then
    for line in string.gmatch(lines, '[^\\n]+') do
      local rpos = string.sub(line, 1, string.find(line, ' ', 1, true) - 1)
      local e = redis.call('XRANGE', pre .. 't:' .. topic, rpos, rpos)
      if #e > 0 then out[#out + 1] = { topic, rpos, e[1][2] } end
      if #out >= cap then return { out, redis.call('GET', pre .. 'idkey') or '' } end
    end
  end
end
return { out, redis.call('GET', pre .. 'idkey') or '' }
`;

/**
 * Puts already-stored events (from another store) on the fan-out stream: the standalone
 * broker's publish. KEYS[1]: the epoch key. ARGV: key base, epoch candidate, fan-out length,
 * then 7 values per event: pos, id, topic, type, ts, data, meta JSON or "".
 */
export const FANOUT = `${PRELUDE}
local pre = ARGV[1]
local epoch = ensure_epoch(pre, ARGV[2])
local now = now_ms()
load_last(pre)
for i = 4, #ARGV, 7 do
  local fid, prev = next_pos(now)
  local f = { 'p', prev, 'e', epoch, 'q', ARGV[i], 'i', ARGV[i + 1], 't', ARGV[i + 2], 'y', ARGV[i + 3],
    'ts', ARGV[i + 4], 'd', ARGV[i + 5] }
  if ARGV[i + 6] ~= '' then
    f[#f + 1] = 'm'
    f[#f + 1] = ARGV[i + 6]
  end
  redis.call('XADD', pre .. 'fanout', 'MAXLEN', ARGV[3], fid, unpack(f))
end
redis.call('SET', pre .. 'last', last_id)
return 1
`;

/**
 * Adds a control message, naming the previous one (`p`) so a node that missed trimmed messages
 * notices. ARGV: key base, stream length (approximate), message JSON.
 */
export const CONTROL = `
local pre = ARGV[1]
local prev = redis.call('GET', pre .. 'clast') or '0-0'
local id = redis.call('XADD', pre .. 'control', 'MAXLEN', '~', ARGV[2], '*', 'p', prev, 'c', ARGV[3])
redis.call('SET', pre .. 'clast', id)
return id
`;

/**
/**
 * Returns the epoch, the newest position, Redis' clock and the id key, creating epoch and key if
 * Redis has none (first use, or Redis lost its data). ARGV: key base, epoch candidate, id key
 * candidate, and optionally the epoch the caller knew plus a window in ms: when that differs from
 * the current one, Redis lost its data and the current epoch is marked as a recovery
 * (`recovered` = current epoch, for the window), so resumes with ids of the lost history replay
 * the new one after their reset. Returns `{epoch, last position, Redis' clock in ms, id key}`.
 */
export const EPOCH = `${PRELUDE}
local e = ensure_epoch(ARGV[1], ARGV[2])
local k = ensure_idkey(ARGV[1], ARGV[3])
if ARGV[4] and ARGV[4] ~= '' and ARGV[4] ~= e then
  redis.call('SET', ARGV[1] .. 'recovered', e, 'PX', ARGV[5])
end
return { e, redis.call('GET', ARGV[1] .. 'last') or '0-0', fmt(now_ms()), k }
`;

/**
 * Reads up to `limit` events after a position from several topic streams, merged in position
 * order (a k-way merge over a heap, fetching from each stream in growing chunks so that a read
 * over many topics does not pull `limit` events from each). Also reports whether retention
 * removed anything after the position from any of the topics. ARGV: key base, position, limit,
 * topics… Returns `{truncated, {{topic, pos, fields}…}, idkey}`.
 */
export const READ = `${PRELUDE}
local pre = ARGV[1]
local after = ARGV[2]
local limit = tonumber(ARGV[3])
local ams, aseq = split_id(after)
local ntop = #ARGV - 3
local truncated = 0
local function check(list)
  local w = redis.call('HMGET', pre .. 'evicted', unpack(list))
  for i = 1, #list do
    local v = w[i]
    if v then
      local ms, seq = split_id(v)
      if ms > ams or (ms == ams and seq > aseq) then truncated = 1 end
    end
  end
end
local chunk = {}
for i = 4, #ARGV do
  chunk[#chunk + 1] = ARGV[i]
  if #chunk == 500 then
    check(chunk)
    chunk = {}
  end
end
if #chunk > 0 then check(chunk) end

local heap = {}
local function before(a, b) return a.ms < b.ms or (a.ms == b.ms and a.seq < b.seq) end
local function push(s)
  heap[#heap + 1] = s
  local i = #heap
  while i > 1 do
    local p = math.floor(i / 2)
    if before(heap[i], heap[p]) then
      heap[i], heap[p] = heap[p], heap[i]
      i = p
    else
      break
    end
  end
end
local function pop()
  local top = heap[1]
  local tail = heap[#heap]
  heap[#heap] = nil
  local n = #heap
  if n > 0 then
    heap[1] = tail
    local i = 1
    while true do
      local l, r, m = 2 * i, 2 * i + 1, i
      if l <= n and before(heap[l], heap[m]) then m = l end
      if r <= n and before(heap[r], heap[m]) then m = r end
      if m == i then break end
      heap[i], heap[m] = heap[m], heap[i]
      i = m
    end
  end
  return top
end
local function load(s, from, count)
  s.buf = redis.call('XRANGE', s.key, '(' .. from, '+', 'COUNT', count)
  s.i = 1
  s.count = count
  s.full = (#s.buf == count)
  if #s.buf == 0 then return false end
  s.ms, s.seq = split_id(s.buf[1][1])
  return true
end
local first = math.max(1, math.min(limit, math.ceil(2 * limit / math.max(1, ntop))))
for i = 4, #ARGV do
  local s = { topic = ARGV[i], key = pre .. 't:' .. ARGV[i] }
  if load(s, after, first) then push(s) end
end
local out = {}
while #out < limit and #heap > 0 do
  local s = pop()
  local e = s.buf[s.i]
  out[#out + 1] = { s.topic, e[1], e[2] }
  s.i = s.i + 1
  if s.i <= #s.buf then
    s.ms, s.seq = split_id(s.buf[s.i][1])
    push(s)
  elseif s.full then
    if load(s, e[1], math.min(limit, s.count * 2)) then push(s) end
  end
end
return { truncated, out, redis.call('GET', pre .. 'idkey') or '' }
`;

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

/** A Lua script run by SHA, loading it on the first NOSCRIPT (after a Redis restart too). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
