import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDelimited, NodeSink } from './node-sink.js';

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
});
