import { connect } from 'node:net';
import { createParser } from 'eventsource-parser';
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
describe('the slow-consumer rule', () => {
  it('cuts a subscriber that stops reading past its buffer limit while a fast subscriber keeps receiving everything', async () => {
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

  it('does not cut a subscriber for a burst of several times its limit that it reads', async () => {
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

  it('cuts a hub.fetch stream the same way (a Web ReadableStream nobody reads)', async () => {
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

  it('paces a replay over hub.fetch by its reader: a 4 MiB backlog read slowly arrives whole', async () => {
    const closes: CloseReason[] = [];
    bare = createHub({
      store: memoryStore(),
      maxBufferBytes: 64 * 1024,
      slowConsumerGraceMs: 200,
      observers: [{ connectionClosed: (_c, r) => closes.push(r) }],
    });
    const from = (await bare.publish({ topic: 'big', type: 'mark', data: {} })).id;
    const blob = 'x'.repeat(32 * 1024 - 64);
    const ids: string[] = [];
    for (let i = 0; i < 128; i += 16) {
      const batch = Array.from({ length: 16 }, (_, k) => ({
        topic: 'big',
        type: 'b',
        data: { i: i + k, blob },
      }));
      ids.push(...(await bare.publish(batch)).map((r) => r.id));
    }
    const res = await bare.fetch(
      new Request('http://hub.test/events?topic=big', { headers: { 'last-event-id': from } }),
    );
    const body = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const got: string[] = [];
    const parser = createParser({ onEvent: (e) => e.id && got.push(e.id) });
    const dec = new TextDecoder();
    let largest = 0;
    while (got.length < ids.length) {
      largest = Math.max(largest, bare.connections()[0]?.bufferedBytes ?? 0);
      const { value, done } = await body.read();
      if (done) break;
      parser.feed(dec.decode(value, { stream: true }));
      // A slow reader: a millisecond between reads.
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(got).toEqual(ids);
    expect(closes).toEqual([]);
    // The Web stream's own 64 KiB high-water mark plus one event, not a page.
    expect(largest).toBeLessThanOrEqual(64 * 1024 + 33 * 1024);
    await body.cancel();
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
