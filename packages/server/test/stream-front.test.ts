import { once } from 'node:events';
import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tidingsNode } from '../src/adapters/node.js';
import { createHub, createHubServer, type HubServerOptions, memoryStore } from '../src/index.js';
import { mint, SECRET } from './auth-helpers.js';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';
import { HUB, KEYS, mercureToken } from './mercure-helpers.js';

const running: RunningHub[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const h of running.splice(0)) await h.close();
});

async function hub(
  opts: Parameters<typeof startHub>[0] = {},
): Promise<RunningHub & { port: number; requests: string[] }> {
  const h = await startHub(opts);
  running.push(h);
  // Requests node:http parsed; the front's streams never show up here.
  const requests: string[] = [];
  h.server.on('request', (req) => requests.push(`${req.method} ${req.url}`));
  return Object.assign(h, { port: (h.server.address() as AddressInfo).port, requests });
}

/** A raw connection collecting everything the server sends. */
function rawSocket(port: number): Socket & { text(): string; ended: Promise<string> } {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  let buf = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => {
    buf += d;
  });
  s.on('error', () => {});
  const closed = new Promise<string>((r) => s.on('close', () => r(buf)));
  return Object.assign(s, { text: () => buf, ended: closed });
}

const jsonOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('the stream front (createHubServer serves GET /events without node:http)', () => {
  it('serves a stream on the bare socket: head, greeting, events, and no node:http request', async () => {
    const h = await hub();
    const s = rawSocket(h.port);
    s.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\r\n');
    await until(() => s.text().includes('event: connected'));
    const head = s.text().slice(0, s.text().indexOf('\r\n\r\n'));
    expect(head.split('\r\n')).toEqual([
      'HTTP/1.1 200 OK',
      'content-type: text/event-stream; charset=utf-8',
      'cache-control: no-cache, no-transform',
      'x-accel-buffering: no',
      expect.stringMatching(/^date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/),
      'connection: close',
    ]);
    const { id } = await h.hub.publish({ topic: 'news', type: 'story', data: { n: 1 } });
    await until(() => s.text().includes(`id: ${id}`));
    expect(s.text()).toContain('event: story');
    expect(h.requests).toEqual([]);
    expect(h.hub.connections()).toHaveLength(1);
  });

  it('serves the Mercure subscribe path too, and leaves its publish path (a POST) to node:http', async () => {
    const h = await hub({ mercure: { ...KEYS, anonymous: true } });
    const s = rawSocket(h.port);
    s.write(
      `GET ${HUB}?topic=${encodeURIComponent('https://example.com/books/1')} HTTP/1.1\r\nHost: hub\r\n\r\n`,
    );
    await until(() => h.hub.connections().length === 1 && s.text().includes('\r\n\r\n'));
    expect(s.text()).toMatch(/^HTTP\/1.1 200 OK\r\ncontent-type: text\/event-stream/);
    const form = new URLSearchParams({ topic: 'https://example.com/books/1', data: 'hello' });
    const token = await mercureToken({ publish: ['*'] });
    const res = await fetch(`${h.url}${HUB}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(res.status).toBe(200);
    await until(() => s.text().includes('data: hello'));
    expect(h.requests).toEqual([`POST ${HUB}`]);
  });

  it('leaves streams to node:http when leanStreams is false', async () => {
    const h = await hub({ leanStreams: false });
    const r = await StreamReader.open(h.url, ['news']);
    await until(() => h.hub.connections().length === 1);
    expect(h.requests).toEqual(['GET /events?topic=news']);
    await r.close();
  });

  it('reads a head that arrives a few bytes at a time, and replays from Last-Event-ID', async () => {
    const h = await hub();
    const first = await h.hub.publish({ topic: 'news', type: 't', data: 1 });
    const second = await h.hub.publish({ topic: 'news', type: 't', data: 2 });
    const s = rawSocket(h.port);
    const text = `GET /events?topic=news HTTP/1.1\r\nHost: hub\r\nLast-Event-ID: ${first.id}\r\n\r\n`;
    for (let i = 0; i < text.length; i += 7) {
      s.write(text.slice(i, i + 7));
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => s.text().includes(`id: ${second.id}`));
    expect(s.text()).not.toContain(`id: ${first.id}\n`);
    expect(h.requests).toEqual([]);
  });

  it('answers refused streams itself with the JSON error and closes', async () => {
    const h = await hub({ auth: { jwt: { secret: SECRET } } });
    const s = rawSocket(h.port);
    s.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\n');
    const answer = await s.ended;
    expect(answer).toMatch(/^HTTP\/1.1 401 Unauthorized\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/);
    expect(jsonOf(answer).error.message).toMatch(/token/i);
    // A good token through the same path gets its stream.
    const token = await mint({ sub: 'u', tidings: { subscribe: ['news'] } });
    const ok = rawSocket(h.port);
    ok.write(`GET /events?topic=news HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    await until(() => ok.text().includes('event: connected'));
    expect(h.requests).toEqual([]);
  });

  it('hands everything else to node:http unchanged: bodies split across packets, keep-alive, pipelining', async () => {
    const h = await hub();
    const s = rawSocket(h.port);
    const body = JSON.stringify({ topic: 'news', type: 't', data: { text: 'x'.repeat(3000) } });
    s.write(
      `POST /publish HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100)}`,
    );
    await new Promise((r) => setTimeout(r, 20));
    s.write(body.slice(100));
    await until(() => s.text().includes('"id"'));
    expect(s.text()).toMatch(/^HTTP\/1.1 201 /);
    // The same connection, kept alive by node:http: two requests in one write.
    s.write(
      'GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\nGET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n',
    );
    const all = await s.ended;
    expect(all.match(/HTTP\/1.1 200 OK/g)).toHaveLength(2);
    expect(h.requests).toEqual(['POST /publish', 'GET /healthz', 'GET /healthz']);
  });

  it('leaves a stream asked for on a kept-alive connection to node:http, which serves it', async () => {
    const h = await hub();
    const s = rawSocket(h.port);
    s.write('GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => s.text().includes('"status"'));
    s.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => s.text().includes('event: connected'));
    const { id } = await h.hub.publish({ topic: 'news', type: 't', data: 1 });
    await until(() => s.text().includes(`id: ${id}`));
    expect(h.requests).toEqual(['GET /healthz', 'GET /events?topic=news']);
  });

  it('hands a stream request with pipelined bytes behind it to node:http, which still serves it', async () => {
    const h = await hub();
    const s = rawSocket(h.port);
    s.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\nGET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => s.text().includes('event: connected'));
    // node:http parses the pipelined request too; its answer waits behind the stream, as HTTP/1.1 says.
    expect(h.requests).toEqual(['GET /events?topic=news', 'GET /healthz']);
    expect(s.text()).not.toContain('"status"');
  });

  it('lets node:http answer heads it does not serve: malformed (400), oversized (431), no Host (400)', async () => {
    const h = await hub();
    const bad = rawSocket(h.port);
    bad.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\nno colon here\r\n\r\n');
    expect(await bad.ended).toMatch(/^HTTP\/1.1 400 /);
    const big = rawSocket(h.port);
    big.write(`GET /events?topic=news HTTP/1.1\r\nHost: hub\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`);
    const bigAnswer = await big.ended;
    expect(bigAnswer).toMatch(/^HTTP\/1.1 431 /);
    expect(jsonOf(bigAnswer).error).toMatchObject({ code: 'headers-too-large', option: 'maxHeaderBytes' });
    const noHost = rawSocket(h.port);
    noHost.write('GET /events?topic=news HTTP/1.1\r\n\r\n');
    expect(await noHost.ended).toMatch(/^HTTP\/1.1 400 /);
    // The hub kept serving everyone else.
    const ok = rawSocket(h.port);
    ok.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => ok.text().includes('event: connected'));
  });

  it('gives a head that trickles in headersTimeoutMs, and a silent connection firstByteTimeoutMs', async () => {
    const hubOnly = createHub({ store: memoryStore() });
    const server = await listen(hubOnly.handleNode, { headersTimeoutMs: 400, firstByteTimeoutMs: 300 });
    const port = (server.address() as AddressInfo).port;
    const slow = rawSocket(port);
    slow.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n');
    const trickle = setInterval(() => slow.writable && slow.write('X-Slow: 1\r\n'), 100);
    const slowAnswer = await slow.ended;
    clearInterval(trickle);
    expect(slowAnswer).toMatch(/^HTTP\/1.1 408 /);
    expect(jsonOf(slowAnswer).error).toMatchObject({
      code: 'request-timeout',
      option: 'headersTimeoutMs',
      limit: 400,
    });
    const silent = rawSocket(port);
    const silentAnswer = await silent.ended;
    expect(jsonOf(silentAnswer).error).toMatchObject({
      code: 'request-timeout',
      option: 'firstByteTimeoutMs',
    });
    await hubOnly.close();
  });

  it('frees the connection at once when the client closes or half-closes, and closeAllConnections ends streams', async () => {
    const h = await hub();
    const a = rawSocket(h.port);
    const b = rawSocket(h.port);
    const c = rawSocket(h.port);
    for (const s of [a, b, c]) s.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => h.hub.connections().length === 3);
    a.destroy();
    b.end();
    await until(() => h.hub.connections().length === 1);
    h.server.closeAllConnections();
    await c.ended;
    await until(() => h.hub.connections().length === 0);
  });

  it('ends its streams with the rest of the bytes when the hub closes, and server.close() completes', async () => {
    const hubOnly = createHub({ store: memoryStore() });
    const server = await listen(hubOnly.handleNode);
    const s = rawSocket((server.address() as AddressInfo).port);
    s.write('GET /events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => hubOnly.connections().length === 1);
    await hubOnly.publish({ topic: 'news', type: 'last', data: 1 });
    await hubOnly.close();
    const all = await s.ended;
    expect(all).toContain('event: last');
    await new Promise((r) => server.close(r));
  });

  it('serves the hub under its basePath through tidingsNode and leaves the app its own paths', async () => {
    const hubOnly = createHub({ store: memoryStore(), basePath: '/live' });
    const listener = tidingsNode(hubOnly, (_req, res) => res.end('app'));
    const server = await listen(listener);
    const requests: string[] = [];
    server.on('request', (req) => requests.push(req.url ?? ''));
    const port = (server.address() as AddressInfo).port;
    const s = rawSocket(port);
    s.write('GET /live/events?topic=news HTTP/1.1\r\nHost: hub\r\n\r\n');
    await until(() => s.text().includes('event: connected'));
    const app = await fetch(`http://127.0.0.1:${port}/events?topic=news`);
    expect(await app.text()).toBe('app');
    expect(requests).toEqual(['/events?topic=news']);
    s.destroy();
    await hubOnly.close();
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(
  handler: Parameters<typeof createHubServer>[0],
  o: HubServerOptions = {},
): Promise<Server> {
  const server = createHubServer(handler, o);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
