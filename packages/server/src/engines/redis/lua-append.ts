import { PRELUDE } from './lua-prelude.js';

// The script that makes a batch durable and fans it out in one atomic step (see lua-prelude.ts).

/**
 * Appends a batch. KEYS[1]: the epoch key. ARGV: key base, epoch candidate, fan-out length, id key
 * candidate, shard clock ("" or "<stride> <offset> <floor>", see load_last), then 8 values per event: supplied id or "", publisher key (no spaces), topic, type,
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
load_last(pre, ARGV[5])
local out = {}
local limits = {}
local touched = {}
for i = 6, #ARGV, 8 do
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
