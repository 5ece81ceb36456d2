import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloseReason, type ConnectionInfo, createHub, type Hub, memoryStore } from '../src/index.js';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';

let h: RunningHub | undefined;
let bare: Hub | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await bare?.close();
  bare = undefined;
});

/**
 * The slow-consumer rule (docs/security.md, "Slow consumers"): a queue above `maxBufferBytes`
 * must keep draining, one past four times it is cut at once; replays are paced by the socket.
 * The attack cases are in attack/replay.test.ts.
 */
describe('a subscriber that stops reading', () => {
  it('is cut off past its buffer limit while a fast subscriber keeps receiving everything', async () => {
    const slow: ConnectionInfo[] = [];
    h = await startHub({
      maxBufferBytes: 256 * 1024,
      slowConsumerGraceMs: 300,
      observers: [{ slowConsumer: (c) => slow.push(c) }],
    });
    const fast = await StreamReader.open(h.url, ['big']);
    // A raw socket that sends the request and then never reads a byte.
    const port = Number(new URL(h.url).port);
    const sock = connect(port, '127.0.0.1');
    sock.write('GET /events?topic=big HTTP/1.1\r\nHost: hub\r\n\r\n');
    sock.pause();
    await until(() => h?.hub.connections().length === 2);
    const stalledId = h.hub
      .connections()
      .find((c) => c.id !== JSON.parse(fast.frames[0]?.data ?? '{}').connectionId)?.id;

    const payload = 'x'.repeat(60_000);
    const ids: string[] = [];
    // Enough to fill the kernel's socket buffers and then the hub's own limit.
    for (let i = 0; i < 600 && slow.length === 0; i++) {
      ids.push((await h.hub.publish({ topic: 'big', type: 'blob', data: { i, payload } })).id);
      // The fast reader lives in this process too: let it read between publishes.
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(slow.map((c) => c.id)).toEqual([stalledId]);
    expect(h.hub.connections().map((c) => c.id)).not.toContain(stalledId);
    ids.push((await h.hub.publish({ topic: 'big', type: 'blob', data: { after: true } })).id);
    await fast.waitForEvents(ids.length, 20_000);
    expect(fast.events.map((e) => e.id)).toEqual(ids);
    await fast.close();
    sock.destroy();
  });

  it('is not cut for a burst of several times its limit that it reads', async () => {
    const closes: CloseReason[] = [];
    h = await startHub({
      maxBufferBytes: 64 * 1024,
      slowConsumerGraceMs: 300,
      observers: [{ connectionClosed: (_c, r) => closes.push(r) }],
    });
    const reader = await StreamReader.open(h.url, ['big']);
    await until(() => h?.hub.connections().length === 1);
    // One batch of 3.5 × the limit, written in one turn: only what the kernel refuses counts.
    const blob = 'x'.repeat(32 * 1024);
    const results = await h.hub.publish(
      Array.from({ length: 7 }, (_, i) => ({ topic: 'big', type: 'b', data: { i, blob } })),
    );
    await reader.waitForEvents(7);
    expect(reader.events.map((e) => e.id)).toEqual(results.map((r) => r.id));
    await new Promise((r) => setTimeout(r, 400));
    expect(closes).toEqual([]);
    await reader.close();
  });

  it('is cut by the same rule on a hub.fetch stream (a Web ReadableStream nobody reads)', async () => {
    const closes: CloseReason[] = [];
    bare = createHub({
      store: memoryStore(),
      maxBufferBytes: 64 * 1024,
      slowConsumerGraceMs: 200,
      observers: [{ connectionClosed: (_c, r) => closes.push(r) }],
    });
    const res = await bare.fetch(new Request('http://hub.test/events?topic=big'));
    expect(res.status).toBe(200);
    const body = res.body?.getReader();
    await body?.read();
    const blob = 'x'.repeat(16 * 1024);
    // Under the hard cap (256 KiB): the grace period decides, not the burst.
    await bare.publish(Array.from({ length: 6 }, (_, i) => ({ topic: 'big', type: 'b', data: { i, blob } })));
    const at = performance.now();
    expect(bare.connections()[0]?.bufferedBytes).toBeGreaterThan(64 * 1024);
    await until(() => closes.length === 1, 5000);
    expect(closes).toEqual(['slow-consumer']);
    expect(performance.now() - at).toBeGreaterThanOrEqual(150);
    await body?.cancel().catch(() => {});
  });

  it('refuses a grace period that is not a positive integer, naming the option', () => {
    expect(() => createHub({ store: memoryStore(), slowConsumerGraceMs: 0 })).toThrow(
      /slowConsumerGraceMs must be a positive integer/,
    );
    expect(() => createHub({ store: memoryStore(), maxReplayBufferBytes: -1 })).toThrow(
      /maxReplayBufferBytes must be a positive integer/,
    );
  });
});
