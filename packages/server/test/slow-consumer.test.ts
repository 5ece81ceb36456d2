import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../src/index.js';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';

let h: RunningHub | undefined;
afterEach(async () => {
  await h?.close();
});

describe('a subscriber that stops reading', () => {
  it('is cut off past its buffer limit while a fast subscriber keeps receiving everything', async () => {
    const slow: ConnectionInfo[] = [];
    h = await startHub({ maxBufferBytes: 256 * 1024, observers: [{ slowConsumer: (c) => slow.push(c) }] });
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
      await new Promise((r) => setImmediate(r));
    }
    expect(slow.map((c) => c.id)).toEqual([stalledId]);
    expect(h.hub.connections().map((c) => c.id)).not.toContain(stalledId);
    ids.push((await h.hub.publish({ topic: 'big', type: 'blob', data: { after: true } })).id);
    await fast.waitForEvents(ids.length, 20_000);
    expect(fast.events.map((e) => e.id)).toEqual(ids);
    await fast.close();
    sock.destroy();
  });
});
