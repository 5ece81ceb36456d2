import { PRELUDE } from './lua-prelude.js';

// The scripts that read history: pages after a position, and supplied-id lookups.

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
