import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeDelimited, flushPolicy, NodeSink } from './node-sink.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A real server whose one response becomes a NodeSink, and a raw client socket reading it. */
async function open(): Promise<{
  sink: NodeSink;
  res: ServerResponse;
  client: Socket;
  received: () => string;
}> {
  let made: ((v: { sink: NodeSink; res: ServerResponse }) => void) | undefined;
  const ready = new Promise<{ sink: NodeSink; res: ServerResponse }>((r) => {
    made = r;
  });
  server = createServer((_req, res) => {
    closeDelimited(res);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    made?.({ sink: new NodeSink(res), res });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let text = '';
  client.on('data', (b: Buffer) => {
    text += b.toString('latin1');
  });
  client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const { sink, res } = await ready;
  return { sink, res, client, received: () => text };
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('Timed out waiting for the condition.');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('NodeSink', () => {
  it('sends a close-delimited body: no chunk framing, Connection: close', async () => {
    const { sink, client, received } = await open();
    sink.write(bytes('data: a\n\n'));
    await new Promise((r) => setImmediate(r));
    sink.write(bytes('data: b\n\n'));
    sink.end();
    await once(client, 'end');
    const [head, body] = received().split('\r\n\r\n') as [string, string];
    expect(head.toLowerCase()).toContain('connection: close');
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    expect(body).toBe('data: a\n\ndata: b\n\n');
  });

  it('coalesces the frames of one turn into one socket write, counted as buffered until then', async () => {
    const { sink, res, client, received } = await open();
    const socket = res.socket as Socket;
    const writes: number[] = [];
    const write = socket.write.bind(socket) as (b: Uint8Array) => boolean;
    socket.write = ((b: Uint8Array) => {
      writes.push(b.byteLength);
      return write(b);
    }) as typeof socket.write;
    const frames = ['id: 1\n\n', 'id: 2\n\n', 'id: 3\n\n'];
    for (const f of frames) sink.write(bytes(f));
    expect(sink.bufferedBytes).toBeGreaterThanOrEqual(frames.join('').length);
    await until(() => received().endsWith('id: 3\n\n'));
    expect(writes).toEqual([frames.join('').length]);
    expect(received().split('\r\n\r\n')[1]).toBe(frames.join(''));
    client.destroy();
  });

  it('drops queued bytes on destroy and reports the close once', async () => {
    const { sink, client } = await open();
    let closes = 0;
    sink.onClose({ onSinkClosed: () => closes++ });
    sink.write(bytes('data: never\n\n'));
    sink.destroy();
    expect(sink.bufferedBytes).toBe(0);
    await once(client, 'close');
    expect(closes).toBe(1);
    expect(sink.closed).toBe(true);
  });

  describe('flush policy', () => {
    const policy = { ...flushPolicy };
    afterEach(() => {
      vi.useRealTimers();
      Object.assign(flushPolicy, policy);
    });

    /**
     * `n` sinks on one server, each socket's writes recorded, on a clock that only moves when a
     * socket is written (1 ms a write) or when the test says so, with event-loop turns stepped by
     * hand: nothing depends on how fast the machine is.
     */
    async function load(n: number) {
      let made = 0;
      const sinks: NodeSink[] = [];
      const sockets: Socket[] = [];
      let done: () => void = () => {};
      const all = new Promise<void>((r) => {
        done = r;
      });
      const srv = createServer((_req, res) => {
        closeDelimited(res);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        sinks.push(new NodeSink(res));
        sockets.push(res.socket as Socket);
        if (++made === n) done();
      });
      server = srv;
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      const port = (srv.address() as AddressInfo).port;
      const clients = Array.from({ length: n }, () => {
        const c = connect(port, '127.0.0.1');
        c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        return c;
      });
      await all;
      const clock = { t: 1000 };
      flushPolicy.now = () => clock.t;
      const writes = sockets.map(() => [] as string[]);
      sockets.forEach((socket, i) => {
        const write = socket.write.bind(socket) as (b: Uint8Array) => boolean;
        socket.write = ((b: Uint8Array) => {
          writes[i]?.push(Buffer.from(b).toString('latin1'));
          clock.t += 1;
          return write(b);
        }) as typeof socket.write;
      });
      vi.useFakeTimers({ toFake: ['setImmediate', 'setTimeout', 'clearTimeout', 'clearImmediate'] });
      /** Runs what is due now: the next turn's immediates, and timers whose time has come. */
      const turn = () => vi.runOnlyPendingTimers();
      const writeAll = (f: string) => {
        for (const sink of sinks) sink.write(bytes(f));
      };
      const counts = () => writes.map((w) => w.length);
      return { sinks, clients, clock, writes, turn, writeAll, counts };
    }

    it('sends a lone frame in the same turn, even right after a busy pass once its window is over', async () => {
      flushPolicy.busySinks = 3;
      const { sinks, clock, writes, turn, writeAll, clients } = await load(3);
      writeAll('id: 1\n\n');
      turn();
      expect(writes.map((w) => w.length)).toEqual([1, 1, 1]);
      // That pass took 3 ms of writes: a window of 3 ms. Once it has passed, no wait.
      clock.t += 3;
      (sinks[0] as NodeSink).write(bytes('id: 2\n\n'));
      vi.advanceTimersByTime(0); // immediates only: the next turn
      expect(writes[0]).toEqual(['id: 1\n\n', 'id: 2\n\n']);
      for (const c of clients) c.destroy();
    });

    it('coalesces the frames of several turns into one write per socket after a busy pass', async () => {
      flushPolicy.busySinks = 3;
      const { clock, writes, turn, writeAll, counts, clients } = await load(3);
      writeAll('id: 1\n\n');
      turn();
      expect(counts()).toEqual([1, 1, 1]);
      // Published within the window (3 ms, what the pass took) that follows a busy pass.
      writeAll('id: 2\n\n');
      vi.advanceTimersByTime(0);
      writeAll('id: 3\n\n');
      vi.advanceTimersByTime(0);
      expect(counts()).toEqual([1, 1, 1]);
      clock.t += 3;
      vi.advanceTimersByTime(3);
      expect(writes).toEqual(Array.from({ length: 3 }, () => ['id: 1\n\n', 'id: 2\n\nid: 3\n\n']));
      for (const c of clients) c.destroy();
    });

    it('does not wait after a pass that touched few sockets', async () => {
      flushPolicy.busySinks = 4;
      const { writes, turn, writeAll, clients } = await load(3);
      writeAll('id: 1\n\n');
      turn();
      writeAll('id: 2\n\n');
      vi.advanceTimersByTime(0);
      expect(writes.map((w) => w.length)).toEqual([2, 2, 2]);
      for (const c of clients) c.destroy();
    });

    it('flushes for at most a slice per turn, oldest first, with what came meanwhile in the same write', async () => {
      flushPolicy.sliceMs = 32;
      const { writes, turn, writeAll, counts, clients } = await load(80);
      writeAll('id: 1\n\n');
      turn();
      // 32 writes of 1 ms: the first slice ends; the rest wait for the next turns.
      expect(counts().filter((c) => c === 1).length).toBe(32);
      writeAll('id: 2\n\n');
      turn();
      turn();
      // Sockets not yet flushed send both frames in one write; the others get the second alone.
      expect(counts().slice(32)).toEqual(Array(48).fill(1));
      expect(writes[79]).toEqual(['id: 1\n\nid: 2\n\n']);
      turn();
      expect(counts().slice(0, 32)).toEqual(Array(32).fill(2));
      expect(writes[0]).toEqual(['id: 1\n\n', 'id: 2\n\n']);
      for (const c of clients) c.destroy();
    });
  });
});
