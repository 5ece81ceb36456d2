import { describe, expect, it } from 'vitest';
import { SseStreamReader } from './sse-stream-reader.js';

const HEAD_CHUNKED =
  'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
const HEAD_PLAIN = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nConnection: close\r\n\r\n';

function frame(seq: number, id = `e.${seq}`): string {
  return `id: ${id}\nevent: b\ndata: {"id":"${id}","topic":"t","type":"b","data":{"s":${seq},"t":${1000 + seq},"p":"xxxx"}}\n\n`;
}

function chunked(parts: string[]): string {
  return parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('');
}

/** Feeds `wire` to a fresh reader in pieces cut at `cuts`, through one reused buffer like `onread` does. */
function feed(wire: string, cuts: number[], trackIds = true) {
  const seen: Array<[number, number]> = [];
  const r = new SseStreamReader((s, t) => seen.push([s, t]), trackIds);
  const bytes = Buffer.from(wire);
  const shared = Buffer.alloc(bytes.length + 16, 0x0a); // stale newlines past each read must not count
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    const cut = Math.min(c, bytes.length);
    if (cut <= from) continue;
    bytes.copy(shared, 0, from, cut);
    r.push(shared, 0, cut - from);
    shared.fill(0x0a);
    from = cut;
  }
  return { r, seen };
}

describe('SseStreamReader', () => {
  const greeting = 'retry: 3000\nevent: connected\ndata: {"connectionId":"c1"}\n\n';
  const events = [1, 2, 3, 4, 5].map((n) => frame(n));
  const wireChunked = HEAD_CHUNKED + chunked([greeting, events[0]!, events[1]! + events[2]!, events[3]!]);
  const wirePlain = HEAD_PLAIN + greeting + events.slice(0, 4).join('');

  it('reads status, sequence numbers, send times and the last id from a chunked stream in one read', () => {
    const { r, seen } = feed(wireChunked, []);
    expect(r.status).toBe(200);
    expect(seen).toEqual([
      [1, 1001],
      [2, 1002],
      [3, 1003],
      [4, 1004],
    ]);
    expect(r.frames).toBe(5);
    expect(r.lastId).toBe('e.4');
  });

  it('gives the same result wherever the reads split the bytes (head, chunk sizes, markers, digits)', () => {
    for (const wire of [wireChunked, wirePlain]) {
      for (let cut = 1; cut < wire.length; cut++) {
        const { seen, r } = feed(wire, [cut, cut + 3, cut + 17]);
        expect(
          seen.map((s) => s[0]),
          `cut at ${cut}`,
        ).toEqual([1, 2, 3, 4]);
        expect(r.lastId).toBe('e.4');
      }
    }
  });

  it('reads byte by byte', () => {
    const cuts = Array.from({ length: wireChunked.length }, (_, i) => i + 1);
    expect(feed(wireChunked, cuts).seen.map((s) => s[0])).toEqual([1, 2, 3, 4]);
  });

  it('counts a frame split over two chunks once, and notices the end of a chunked body', () => {
    const f = frame(7);
    const { seen, r } = feed(`${HEAD_CHUNKED}${chunked([f.slice(0, 20), f.slice(20)])}0\r\n\r\n`, []);
    expect(seen).toEqual([[7, 1007]]);
    expect(r.ended).toBe(true);
  });

  it('reports a refusal status without events', () => {
    const { r, seen } = feed('HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}', []);
    expect(r.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('reads raw payloads (data: {"s":…}) as peers such as nchan send them, and leaves ids alone unless asked', () => {
    const wire = `${HEAD_PLAIN}id: 1:0\ndata: {"s":9,"t":5,"p":"x"}\n\n: heartbeat\n\n`;
    const { r, seen } = feed(wire, [40], false);
    expect(seen).toEqual([[9, 5]]);
    expect(r.frames).toBe(2);
    expect(r.lastId).toBeUndefined();
  });

  it('finds the marks wherever they are in a frame, and only within it', () => {
    const wire = `${HEAD_PLAIN}data: {"a":{"b":1},"s":3,"q":"{","t":44}\n\ndata: {"x":"s"}\n\ndata: {"t":1,"s":4}\n\n`;
    for (let cut = 1; cut < wire.length; cut++) {
      const { r, seen } = feed(wire, [cut], false);
      expect(seen, `cut at ${cut}`).toEqual([
        [3, 44],
        [4, 0],
      ]);
      expect(r.frames).toBe(3);
    }
  });
});
