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

/** Helpers every history script starts with: ids, epochs, topic matching. */
export const PRELUDE = `
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
-- A sharded history (Redis Cluster) gives each shard its own residue of the sequence number
-- (seq = offset mod stride), so positions of different shards never collide and compare as one
-- order; a single Redis uses stride 1, offset 0.
local stride, offset = 1, 0
local function pos_gt(a, b)
  local ams, aseq = split_id(a)
  local bms, bseq = split_id(b)
  return ams > bms or (ams == bms and aseq > bseq)
end
local function raise_alloc(p)
  local ms, seq = split_id(p)
  if ms > alloc_ms or (ms == alloc_ms and seq > alloc_seq) then
    alloc_ms, alloc_seq = ms, seq
  end
end
-- clock: "" for a single Redis, or "<stride> <offset> <floor or empty>" for a shard: positions
-- handed out then also follow the shard's floor key and the caller's floor (the highest position
-- the calling node knows of), so they rise across shards like a hybrid logical clock.
local function load_last(pre, clock)
  last_id = redis.call('GET', pre .. 'last') or '0-0'
  alloc_ms, alloc_seq = split_id(last_id)
  if clock and clock ~= '' then
    local s, o, f = string.match(clock, '^(%d+) (%d+) ?(.*)$')
    stride, offset = tonumber(s), tonumber(o)
    if f and f ~= '' then raise_alloc(f) end
    local fl = redis.call('GET', pre .. 'floor')
    if fl then raise_alloc(fl) end
  end
end
-- The next position: Redis' clock in ms, or the last position's ms with the next sequence
-- number (of this shard's residue) when the clock has not moved on (or went back). Returns it and
-- the previous one.
local function next_pos(now)
  if now > alloc_ms then
    alloc_ms = now
    alloc_seq = offset
  else
    local n = alloc_seq + 1
    alloc_seq = n + ((offset - n) % stride)
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
