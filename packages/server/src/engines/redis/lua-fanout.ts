import { PRELUDE } from './lua-prelude.js';

// The scripts of the fan-out and control streams, and of the epoch that tells a node Redis lost its data.

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
 * Puts already-stored events (from another store) on the fan-out stream: the standalone
 * broker's publish. KEYS[1]: the epoch key. ARGV: key base, epoch candidate, fan-out length, shard
 * clock ("" or "<stride> <offset> <floor>", see load_last), then 7 values per event: pos, id, topic, type, ts, data, meta JSON or "".
 */
export const FANOUT = `${PRELUDE}
local pre = ARGV[1]
local epoch = ensure_epoch(pre, ARGV[2])
local now = now_ms()
load_last(pre, ARGV[4])
for i = 5, #ARGV, 7 do
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
return last_id
`;

/**
 * A shard's watermark: a position W such that every event of the shard up to W is already on its
 * fan-out stream and every later one will get a position above W (the newest position, the
 * shard's floor, or Redis' clock less 1 ms, whichever is highest). With a cursor, also returns the
 * fan-out entries after it (up to a count; W is then at most the last of them), read in the same
 * atomic step, so the caller has seen everything up to W. With `need` above W: when `force` is
 * "1", or the shard's clock is behind `need` (skew between primaries), the floor is raised to
 * `need` (later positions exceed it) and W is `need`; otherwise the clock passes it within a
 * millisecond and the caller asks again.
 * KEYS[1]: the fan-out stream. ARGV: key base, need or "", cursor or "", count, force.
 * Returns `{W, newest position, entries}`.
 */
export const CLOCK = `${PRELUDE}
local pre = ARGV[1]
local last = redis.call('GET', pre .. 'last') or '0-0'
local w = last
local fl = redis.call('GET', pre .. 'floor')
if fl and pos_gt(fl, w) then w = fl end
local now = now_ms()
local wc = fmt(now - 1) .. '-999999999999'
if pos_gt(wc, w) then w = wc end
local entries = {}
local full = false
if ARGV[3] ~= '' then
  local n = tonumber(ARGV[4])
  entries = redis.call('XRANGE', pre .. 'fanout', '(' .. ARGV[3], '+', 'COUNT', n)
  if #entries == n then
    w = entries[#entries][1]
    full = true
  end
end
local need = ARGV[2]
if not full and need ~= '' and pos_gt(need, w) then
  local nms = split_id(need)
  if ARGV[5] == '1' or nms > now then
    if not fl or pos_gt(need, fl) then redis.call('SET', pre .. 'floor', need) end
    w = need
  end
end
return { w, last, entries }
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
