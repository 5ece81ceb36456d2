import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub, createHubServer, type HubOptions, memoryStore, type ServerLimits } from '../src/index.js';
import { mint, PUBLISHER_KEY, SECRET, subscribeStatus } from './auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const running: RunningHub[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

describe('CORS', () => {
  async function hub(opts: HubOptions = {}) {
    const h = await startHub({
      auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY, cookieName: 'sess' },
      cors: { origins: [APP] },
      ...opts,
    });
    running.push(h);
    return h;
  }
  const preflight = (base: string, origin: string) =>
    fetch(`${base}/publish`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('answers preflights for listed origins only', async () => {
    const h = await hub();
    const ok = await preflight(h.url, APP);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization.*last-event-id/);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const no = await preflight(h.url, EVIL);
    expect(no.status).toBe(403);
    expect(((await no.json()) as { error: unknown }).error).toMatchObject({
      code: 'origin-not-allowed',
      origin: EVIL,
      message: expect.stringMatching(/--cors-origin/),
    });
  });

  it('adds CORS headers to streams and errors for listed origins, none for others', async () => {
    const h = await hub();
    const token = await mint({ sub: 'u', tidings: { subscribe: ['news'] } });
    const listed = await subscribeStatus(h.url, ['news'], { token, headers: { origin: APP } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(APP);
    const err = await subscribeStatus(h.url, ['secret'], { token, headers: { origin: APP } });
    expect(err.status).toBe(403);
    expect(err.headers.get('access-control-allow-origin')).toBe(APP);
    const other = await subscribeStatus(h.url, ['news'], { token, headers: { origin: EVIL } });
    expect(other.status).toBe(200); // a query token cannot be forged by another site; the browser just may not read it
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses cookie-authenticated requests from other sites (CSRF), allows same-site and listed ones', async () => {
    const h = await hub();
    const token = await mint({ sub: 'u', tidings: { subscribe: ['news'], publish: ['news'] } });
    const cookie = `sess=${token}`;
    const evil = await post(
      h.url,
      { topic: 'news', type: 't', data: 1 },
      { headers: { origin: EVIL, cookie } },
    );
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatchObject({ code: 'origin-not-allowed', origin: EVIL });
    const evilStream = await subscribeStatus(h.url, ['news'], { headers: { origin: EVIL, cookie } });
    expect(evilStream.status).toBe(403);
    const fromApp = await post(
      h.url,
      { topic: 'news', type: 't', data: 1 },
      { headers: { origin: APP, cookie } },
    );
    expect(fromApp.status).toBe(201);
    const sameSite = await post(
      h.url,
      { topic: 'news', type: 't', data: 2 },
      { headers: { origin: h.url, cookie } },
    );
    expect(sameSite.status).toBe(201);
    const noOrigin = await subscribeStatus(h.url, ['news'], { headers: { cookie } });
    expect(noOrigin.status).toBe(200);
  });

  it('never grants credentials to origins matched only by "*"', async () => {
    const h = await hub({ cors: { origins: ['*'] } });
    const r = await preflight(h.url, EVIL);
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    const token = await mint({ sub: 'u', tidings: { publish: ['news'] } });
    const cookieRide = await post(
      h.url,
      { topic: 'news', type: 't', data: 1 },
      { headers: { origin: EVIL, cookie: `sess=${token}` } },
    );
    expect(cookieRide.status).toBe(403);
  });

  it('refuses malformed origins in the configuration', () => {
    expect(() =>
      createHub({ store: memoryStore(), cors: { origins: ['https://app.example.com/'] } }),
    ).toThrow(/should be written "https:\/\/app.example.com"/);
    expect(() => createHub({ store: memoryStore(), cors: { origins: ['app.example.com'] } })).toThrow(
      /is not an origin/,
    );
  });
});

describe('server limits (slowloris, oversized heads)', () => {
  async function hardened(limits: ServerLimits) {
    const hub = createHub({ store: memoryStore() });
    const server = createHubServer(hub.handleNode, limits);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const h: RunningHub = {
      hub,
      server,
      url: `http://127.0.0.1:${port}`,
      async close() {
        await hub.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
    running.push(h);
    return { h, port };
  }

  /** Opens a raw socket, runs `act`, and resolves with everything the server sent before closing. */
  function raw(port: number, act: (s: ReturnType<typeof connect>) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d) => {
        buf += d;
      });
      s.on('close', () => resolve(buf));
      s.on('error', (e) => (buf ? resolve(buf) : reject(e)));
      act(s);
    });
  }
  const jsonOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

  it('answers idle sockets, slow heads and oversized heads with JSON errors while a stream keeps flowing', async () => {
    const { h, port } = await hardened({ firstByteTimeoutMs: 300, maxHeaderBytes: 2048 });
    // Slow heads on their own server, whose idle deadline a trickle cannot trip even on a busy machine.
    const slowServer = await hardened({ headersTimeoutMs: 1500, firstByteTimeoutMs: 60_000 });
    const watcher = await StreamReader.open(h.url, ['news']);
    readers.push(watcher);
    await until(() => h.hub.connections().length === 1);
    const sent: string[] = [];
    // Published while the attacks run; the watcher must get every one.
    const publishing = (async () => {
      for (let i = 0; i < 20; i++) {
        sent.push((await h.hub.publish({ topic: 'news', type: 't', data: i })).id);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const idle = await raw(port, () => {});
    expect(idle).toMatch(/^HTTP\/1.1 408 /);
    expect(jsonOf(idle).error).toMatchObject({
      code: 'request-timeout',
      option: 'firstByteTimeoutMs',
      limit: 300,
    });

    let timer: ReturnType<typeof setInterval> | undefined;
    const slow = await raw(slowServer.port, (s) => {
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 100);
    });
    clearInterval(timer);
    expect(slow).toMatch(/^HTTP\/1.1 408 /);
    expect(jsonOf(slow).error).toMatchObject({
      code: 'request-timeout',
      option: 'headersTimeoutMs',
      limit: 1500,
    });

    const big = await raw(port, (s) =>
      s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(4000)}\r\n\r\n`),
    );
    expect(big).toMatch(/^HTTP\/1.1 431 /);
    expect(jsonOf(big).error).toMatchObject({
      code: 'headers-too-large',
      option: 'maxHeaderBytes',
      limit: 2048,
    });

    const garbage = await raw(port, (s) => s.write('NOT HTTP AT ALL\r\n\r\n'));
    expect(garbage).toMatch(/^HTTP\/1.1 400 /);
    expect(jsonOf(garbage).error.code).toBe('bad-request');

    // A normal request is not affected by the first-byte deadline once it has arrived.
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    await publishing;
    await watcher.waitForEvents(sent.length);
    expect(watcher.events.map((e) => e.id)).toEqual(sent);
  });
});
