import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisEngine } from '../../src/engines/redis/index.js';
import { type Authorizer, HubError, type HubRequest, installAdmin, installMetrics } from '../../src/index.js';
import { captureLogger, mint, PUBLISHER_KEY, SECRET } from '../auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { parseProm, value } from '../prom-text.js';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../services.js';
import { Innocent } from './innocent.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const ADMIN_TOKEN = 'admin-token-0123456789';
const KEY = { authorization: `Bearer ${PUBLISHER_KEY}` };
const MAX_BODY = 64 * 1024;

/** `depth` arrays nested inside each other, e.g. `[[[]]]` for 3. */
function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `depth` objects nested inside each other. */
function deepObject(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
}

/** What a raw socket got back. */
interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  status: number;
  /** Whether the answer's body arrived whole (its Content-Length). */
  complete: boolean;
  /** The server half-closed (FIN) before any socket error. */
  ended: boolean;
  /** The socket error code, e.g. ECONNRESET, if there was one. */
  error: string | undefined;
}

function parseAnswer(text: string, ended: boolean, error: string | undefined): RawAnswer {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const split = text.indexOf('\r\n\r\n');
  const declared = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? Number.NaN);
  const body = split < 0 ? '' : text.slice(split + 4);
  return { text, status, complete: Buffer.byteLength(body) === declared, ended, error };
}

/**
 * A client that sends its (oversized) body before it reads anything, as simple clients do: it
 * writes `body` every 10 ms for `readAfterMs` without reading, then stops writing and reads.
 */
function sendThenRead(url: string, head: string, body: Buffer, readAfterMs: number): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let ended = false;
    let error: string | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no close within the time limit'));
    }, 10_000);
    sock.pause();
    // Paced, so the bytes after the answer stay within the hub's lingering bound (1 MiB).
    const pump = setInterval(() => sock.write(body), 10);
    sock.on('connect', () => {
      sock.write(head);
      setTimeout(() => {
        clearInterval(pump);
        sock.on('data', (c) => chunks.push(c));
        sock.resume();
      }, readAfterMs);
    });
    sock.on('end', () => {
      if (error === undefined) ended = true;
      sock.end();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!ended) error = e.code ?? e.message;
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks).toString('utf8'), ended, error));
    });
  });
}

/**
 * Sends `head` (and `body`) on a raw socket; with `stream`, keeps writing `stream` bytes per
 * chunk, respecting backpressure, until the server closes its side or `streamMax` bytes went out.
 * Resolves once the socket is closed.
 */
function rawRequest(
  url: string,
  head: string,
  o: { body?: string; stream?: Buffer; streamMax?: number; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let ended = false;
    let error: string | undefined;
    let sent = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new Error(`no close within the time limit; got: ${Buffer.concat(chunks).toString().slice(0, 300)}`),
      );
    }, o.timeoutMs ?? 10_000);
    const pump = () => {
      const chunk = o.stream;
      if (!chunk) return;
      while (!ended && !sock.destroyed && sent < (o.streamMax ?? 64 * 1024 * 1024)) {
        sent += chunk.length;
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    sock.on('connect', () => {
      sock.write(head);
      if (o.body !== undefined) sock.write(o.body);
      pump();
    });
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => {
      if (error === undefined) ended = true;
      sock.end();
    });
    // Writes after the server's FIN may fail (EPIPE); what matters is what was read before.
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!ended) error = e.code ?? e.message;
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks).toString('utf8'), ended, error));
    });
  });
}

function publishHead(url: string, headers: Record<string, string>, length?: number): string {
  const { host } = new URL(url);
  const lines = [`POST /publish HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push(length === undefined ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** One HTTP/1.1 chunk of `size` bytes of `x`. */
function httpChunk(size: number): Buffer {
  return Buffer.from(`${size.toString(16)}\r\n${'x'.repeat(size)}\r\n`);
}

async function scrapeErrors(url: string): Promise<number> {
  const res = await fetch(new URL('/metrics', url), {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(res.status).toBe(200);
  const v = value(parseProm(await res.text()), 'tidings_errors_total');
  return Number.isNaN(v) ? 0 : v;
}

describe('HTTP edges under attack', () => {
  let h: RunningHub;
  let log: ReturnType<typeof captureLogger>;
  let innocent: Innocent;
  let subscriber: string; // may subscribe, may not publish
  let publisher: string; // may publish to pub/**
  const badLines = () => log.lines.filter((l) => /"level":"(error|warn)"/.test(l));

  beforeAll(async () => {
    log = captureLogger();
    h = await startHub({
      logger: log,
      maxBodyBytes: MAX_BODY,
      auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY },
      limits: { publishRate: { perSecond: 1, burst: 5 } },
    });
    installMetrics(h.hub, { token: METRICS_TOKEN });
    installAdmin(h.hub, { token: ADMIN_TOKEN });
    h.hub.onCommand('job.pause', async (args) => ({ got: args }));
    subscriber = await mint({ sub: 'reader', tidings: { subscribe: ['pub/**'] } });
    publisher = await mint({ sub: 'writer', tidings: { publish: ['pub/**'], commands: ['job.*'] } });
    innocent = await Innocent.open(h.url, { headers: KEY });
    await innocent.publish();
  });

  afterAll(async () => {
    await innocent?.close();
    await h?.close();
  });

  const publishRaw = (raw: string, headers: Record<string, string> = {}) =>
    post(h.url, undefined, { raw, headers });

  it('a 5,000-deep JSON array gets 401 before anything without a token', async () => {
    const r = await publishRaw(deepArray(5000));
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    await innocent.assertUnharmed();
  });

  it('a 5,000-deep JSON array gets 403 from a subscribe-only token, before its body is parsed', async () => {
    const r = await publishRaw(deepArray(5000), { authorization: `Bearer ${subscriber}` });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/does not allow publishing to any topic/);
    await innocent.assertUnharmed();
  });

  it('a subscribe-only token is refused with 403 without the hub waiting for the body at all', async () => {
    // The body never comes: a hub that read it first would hang until its request timeout.
    const a = await rawRequest(h.url, publishHead(h.url, { authorization: `Bearer ${subscriber}` }, 100_000));
    expect(a.status).toBe(403);
    expect(a.complete).toBe(true);
    expect(a.ended).toBe(true);
    expect(a.text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('a 5,000-deep JSON array gets 400 from a valid publisher, with no stack trace and no error count', async () => {
    const before = await scrapeErrors(h.url);
    const r = await publishRaw(deepArray(5000), { authorization: `Bearer ${publisher}` });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid-json', option: 'maxJsonDepth', limit: 64 });
    const o = await publishRaw(deepObject(5000), KEY);
    expect(o.status).toBe(400);
    expect(o.body.error.option).toBe('maxJsonDepth');
    expect(await scrapeErrors(h.url)).toBe(before);
    expect(badLines()).toEqual([]);
    await innocent.assertUnharmed();
  });

  it('nesting exactly at the limit (64) is published, one level more gets 400', async () => {
    // The envelope object is level 1, so data may hold 63 levels of arrays.
    const at = `{"topic":"pub/deep","type":"t","data":${deepArray(63)}}`;
    const past = `{"topic":"pub/deep","type":"t","data":${deepArray(64)}}`;
    expect((await publishRaw(at, KEY)).status).toBe(201);
    const r = await publishRaw(past, KEY);
    expect(r.status).toBe(400);
    expect(r.body.error.limit).toBe(64);
    await innocent.assertUnharmed();
  });

  it('a batch with one deep item past the limit gets 400 and publishes none of it', async () => {
    const topic = `pub/batch-${Date.now()}`;
    const reader = await StreamReader.open(h.url, [topic], { headers: KEY });
    await reader.waitFor((x) => x.of('connected').length > 0);
    const ok = `{"topic":"${topic}","type":"t","data":1}`;
    const bad = `{"topic":"${topic}","type":"t","data":${deepArray(100)}}`;
    const r = await publishRaw(`[${ok},${bad}]`, KEY);
    expect(r.status).toBe(400);
    expect((await publishRaw(`[${ok}]`, KEY)).status).toBe(201);
    const events = await reader.waitForEvents(1);
    expect(events).toHaveLength(1);
    await reader.close();
    await innocent.assertUnharmed();
  });

  it('brackets inside strings do not count as nesting', async () => {
    const data = JSON.stringify(`${'['.repeat(10_000)}"\\{{{`);
    const r = await publishRaw(`{"topic":"pub/strings","type":"t","data":${data}}`, KEY);
    expect(r.status).toBe(201);
  });

  it('deep command arguments get 400 for a granted caller and 403 (before the body) for others', async () => {
    const path = '/commands/job.pause';
    const granted = await post(h.url, undefined, {
      path,
      raw: deepArray(5000),
      headers: { authorization: `Bearer ${publisher}` },
    });
    expect(granted.status).toBe(400);
    expect(granted.body.error.option).toBe('maxJsonDepth');
    const other = await post(h.url, undefined, {
      path,
      raw: deepArray(5000),
      headers: { authorization: `Bearer ${subscriber}` },
    });
    expect(other.status).toBe(403);
    const fine = await post(h.url, { a: [[1]] }, { path, headers: { authorization: `Bearer ${publisher}` } });
    expect(fine.status).toBe(200);
    expect(fine.body.result.got).toEqual({ a: [[1]] });
    await innocent.assertUnharmed();
  });

  it('a deep /disconnect body gets 403 from a user token and 400 from the publisher key', async () => {
    const user = await post(h.url, undefined, {
      path: '/disconnect',
      raw: deepArray(2000),
      headers: { authorization: `Bearer ${publisher}` },
    });
    expect(user.status).toBe(403);
    // Within the 4 KiB body limit of /disconnect: the depth check, not the size, refuses it.
    const key = await post(h.url, undefined, { path: '/disconnect', raw: deepObject(600), headers: KEY });
    expect(key.status).toBe(400);
    expect(key.body.error.option).toBe('maxJsonDepth');
    await innocent.assertUnharmed();
  });

  it('/admin/disconnect refuses a deep body with 400 and an oversized one with 413, not invalid-json', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const deep = await post(h.url, undefined, {
      path: '/admin/disconnect',
      raw: deepArray(2000),
      headers: admin,
    });
    expect(deep.status).toBe(400);
    expect(deep.body.error.option).toBe('maxJsonDepth');
    const big = await post(h.url, undefined, {
      path: '/admin/disconnect',
      raw: JSON.stringify({ user: 'x'.repeat(10_000) }),
      headers: admin,
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload-too-large');
    await innocent.assertUnharmed();
  });

  it('a huge Content-Length gets a whole 413 and a clean close, before any body byte is sent', async () => {
    const a = await rawRequest(h.url, publishHead(h.url, KEY, 10 * 1024 ** 3));
    expect(a.status).toBe(413);
    expect(a.complete).toBe(true);
    expect(a.ended).toBe(true);
    expect(a.error).toBeUndefined();
    await innocent.assertUnharmed();
  });

  it('a huge Content-Length whose body keeps streaming still reads the whole 413, not a reset', async () => {
    for (let i = 0; i < 3; i++) {
      const a = await rawRequest(h.url, publishHead(h.url, KEY, 200 * 1024 * 1024), {
        stream: Buffer.alloc(64 * 1024, 0x20),
      });
      expect(a.status).toBe(413);
      expect(a.complete).toBe(true);
      expect(a.ended).toBe(true);
      expect(a.error).toBeUndefined();
    }
    await innocent.assertUnharmed();
  });

  it('a chunked body past the limit gets a whole 413 and a clean close, not a reset', async () => {
    for (let i = 0; i < 3; i++) {
      const a = await rawRequest(h.url, publishHead(h.url, KEY), { stream: httpChunk(16 * 1024) });
      expect(a.status).toBe(413);
      expect(a.text).toContain('maxBodyBytes');
      expect(a.complete).toBe(true);
      expect(a.ended).toBe(true);
      expect(a.error).toBeUndefined();
    }
    await innocent.assertUnharmed();
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    it(`a client still sending its oversized body (${framing}) reads the whole 413 late, with no reset`, async () => {
      for (let i = 0; i < 3; i++) {
        const body = framing === 'chunked' ? httpChunk(16 * 1024) : Buffer.alloc(16 * 1024, 0x20);
        const a = await sendThenRead(
          h.url,
          publishHead(h.url, KEY, framing === 'chunked' ? undefined : 100 * 1024 * 1024),
          body,
          300,
        );
        expect(a.error).toBeUndefined();
        expect(a.status).toBe(413);
        expect(a.complete).toBe(true);
        expect(a.ended).toBe(true);
      }
      await innocent.assertUnharmed();
    });
  }

  it('a 401 before a streaming body is read whole, then the connection closes cleanly', async () => {
    const a = await rawRequest(h.url, publishHead(h.url, {}, 50 * 1024 * 1024), {
      stream: Buffer.alloc(64 * 1024, 0x20),
    });
    expect(a.status).toBe(401);
    expect(a.complete).toBe(true);
    expect(a.ended).toBe(true);
    expect(a.error).toBeUndefined();
  });

  it('a client that never stops sending after the 413 is cut after the lingering bound', async () => {
    const started = Date.now();
    const a = await rawRequest(h.url, publishHead(h.url, KEY), {
      stream: httpChunk(16 * 1024),
      // It ignores the FIN: keep writing regardless, as a hostile client would.
      streamMax: 64 * 1024 * 1024,
    });
    expect(a.status).toBe(413);
    expect(a.complete).toBe(true);
    expect(Date.now() - started).toBeLessThan(8_000);
    await innocent.assertUnharmed();
  });

  it('a rate-limited publisher gets 429 without the hub waiting for its body', async () => {
    const hasty = await mint({ sub: 'hasty', tidings: { publish: ['pub/**'] } });
    const auth = { authorization: `Bearer ${hasty}` };
    const batch = JSON.stringify(
      Array.from({ length: 5 }, (_, i) => ({ topic: 'pub/r', type: 't', data: i })),
    );
    expect((await publishRaw(batch, auth)).status).toBe(201);
    const a = await rawRequest(h.url, publishHead(h.url, auth, 100_000));
    expect(a.status).toBe(429);
    expect(a.complete).toBe(true);
    expect(a.text).toMatch(/\r\nretry-after: \d+\r\n/i);
    await innocent.assertUnharmed();
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    it(`a client vanishing mid-body (${framing}) is a debug line, not an error log or an error count`, async () => {
      const before = await scrapeErrors(h.url);
      const linesBefore = log.lines.length;
      await new Promise<void>((resolve) => {
        const { port } = new URL(h.url);
        const sock: Socket = connect(Number(port), '127.0.0.1', () => {
          sock.write(publishHead(h.url, KEY, framing === 'chunked' ? undefined : 50_000));
          sock.write(framing === 'chunked' ? httpChunk(1000) : '{"topic":"pub/x","type":"t","data":"');
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 100);
        });
      });
      await until(
        () =>
          log.lines.slice(linesBefore).some((l) => l.includes('client left before sending the whole body')),
        5000,
        () => `no debug line; got ${log.lines.slice(linesBefore).join('\n')}`,
      );
      const fresh = log.lines.slice(linesBefore);
      expect(fresh.filter((l) => /"level":"(error|warn)"/.test(l))).toEqual([]);
      expect(fresh.find((l) => l.includes('client left'))).toMatch(/"level":"debug"/);
      expect(await scrapeErrors(h.url)).toBe(before);
      await innocent.assertUnharmed();
    });
  }

  it('/metrics is refused without its token or with a wrong one, and served with it', async () => {
    const none = await fetch(new URL('/metrics', h.url));
    expect(none.status).toBe(401);
    expect((await none.json()).error.message).toMatch(/Authorization: Bearer/);
    const wrong = await fetch(new URL('/metrics', h.url), { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(new URL('/metrics', h.url), {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('tidings_connections');
  });

  it('no hostile request above logged an error or a warning', () => {
    expect(badLines()).toEqual([]);
  });
});

describe('POST /disconnect across tenants', () => {
  let h: RunningHub;
  let innocent: Innocent;
  const grant = { subscribe: ['tenant/{tenant}/**'] };

  beforeAll(async () => {
    h = await startHub({ auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY } });
    innocent = await Innocent.open(h.url, { headers: KEY });
  });

  afterAll(async () => {
    await innocent?.close();
    await h?.close();
  });

  async function stream(
    tenant: string,
    sub: string,
    sid?: string,
  ): Promise<{ r: StreamReader; token: string }> {
    const token = await mint(
      { sub, tenant, ...(sid && { sid }), tidings: grant },
      { jti: Math.random().toString(36) },
    );
    const r = await StreamReader.open(h.url, [`tenant/${tenant}/feed`], { query: { token } });
    expect(r.response.status).toBe(200);
    await r.waitFor((x) => x.of('connected').length > 0);
    return { r, token };
  }

  const status = async (token: string, tenant: string) => {
    const r = await StreamReader.open(h.url, [`tenant/${tenant}/feed`], { query: { token } });
    const s = r.response.status;
    await r.close();
    return s;
  };

  it('{"user","tenant"} from the publisher key logs out that sub in that tenant only', async () => {
    const a = await stream('a', 'u1');
    const b = await stream('b', 'u1');
    const res = await post(
      h.url,
      { user: 'u1', tenant: 'a', reason: 'password changed' },
      { path: '/disconnect', headers: KEY },
    );
    expect(res.status).toBe(200);
    expect(res.body.disconnected).toBe(1);
    await a.r.waitFor((x) => x.of('force-logout').length > 0 && x.ended);
    // Tenant b's u1 is someone else: still connected, still served, its token still good.
    expect(b.r.of('force-logout')).toEqual([]);
    expect((await post(h.url, { topic: 'tenant/b/feed', type: 't', data: 1 }, { headers: KEY })).status).toBe(
      201,
    );
    await b.r.waitForEvents(1);
    expect(b.r.ended).toBe(false);
    expect(await status(a.token, 'a')).toBe(401);
    expect(await status(b.token, 'b')).toBe(200);
    await b.r.close();
    await innocent.assertUnharmed();
  });

  it('{"session","tenant"} revokes that session in that tenant only, tokens not yet connected included', async () => {
    const b = await stream('b', 'u5', 'shared-sid');
    const res = await post(
      h.url,
      { session: 'shared-sid', tenant: 'b' },
      { path: '/disconnect', headers: KEY },
    );
    expect(res.status).toBe(200);
    expect(res.body.disconnected).toBe(1);
    await b.r.waitFor((x) => x.ended);
    const freshB = await mint(
      { sub: 'u5', tenant: 'b', sid: 'shared-sid', tidings: grant },
      { jti: 'fresh-b' },
    );
    const freshA = await mint(
      { sub: 'u5', tenant: 'a', sid: 'shared-sid', tidings: grant },
      { jti: 'fresh-a' },
    );
    expect(await status(freshB, 'b')).toBe(401);
    expect(await status(freshA, 'a')).toBe(200);
    await innocent.assertUnharmed();
  });

  it('the publisher key naming no tenant reaches the sub in every tenant (documented)', async () => {
    const a = await stream('a', 'u2');
    const b = await stream('b', 'u2');
    const res = await post(h.url, { user: 'u2' }, { path: '/disconnect', headers: KEY });
    expect(res.status).toBe(200);
    expect(res.body.disconnected).toBe(2);
    await a.r.waitFor((x) => x.ended);
    await b.r.waitFor((x) => x.ended);
    await innocent.assertUnharmed();
  });

  it('a bad "tenant" field gets 400', async () => {
    const res = await post(h.url, { user: 'u1', tenant: 7 }, { path: '/disconnect', headers: KEY });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/"tenant" field/);
  });
});

describe('POST /disconnect from a caller that has a tenant', () => {
  let h: RunningHub;
  // A custom authorizer whose admins belong to one tenant (x-admin-tenant), and whose
  // subscribers say who they are in headers: enough to see the scope the hub applies.
  const authorizer: Authorizer = {
    async authorizeSubscribe(req: HubRequest) {
      return {
        principal: {
          user: req.header('x-user'),
          tenant: req.header('x-tenant'),
          tokenId: req.header('x-token'),
        },
      };
    },
    async authorizePublish() {
      return { trusted: true };
    },
    async authorizeAdmin(req: HubRequest) {
      const tenant = req.header('x-admin-tenant');
      if (!tenant) throw new HubError(403, 'forbidden', 'Admins need a tenant in this test.');
      return { tenant };
    },
  };

  beforeAll(async () => {
    h = await startHub({ authorizer });
  });

  afterAll(async () => {
    await h?.close();
  });

  const open = async (tenant: string) => {
    const r = await StreamReader.open(h.url, ['feed'], {
      headers: { 'x-user': 'u1', 'x-tenant': tenant, 'x-token': `t-${tenant}-${Math.random()}` },
    });
    await r.waitFor((x) => x.of('connected').length > 0);
    return r;
  };

  it("a tenant's admin logs out only its own tenant's sub, and may not name another tenant", async () => {
    const innocent = await Innocent.open(h.url);
    const a = await open('a');
    const b = await open('b');
    const other = await post(
      h.url,
      { user: 'u1', tenant: 'b' },
      { path: '/disconnect', headers: { 'x-admin-tenant': 'a' } },
    );
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(/your own tenant "a"/);
    const own = await post(
      h.url,
      { user: 'u1' },
      { path: '/disconnect', headers: { 'x-admin-tenant': 'a' } },
    );
    expect(own.status).toBe(200);
    expect(own.body.disconnected).toBe(1);
    await a.waitFor((x) => x.ended);
    expect(b.ended).toBe(false);
    expect(b.of('force-logout')).toEqual([]);
    await b.close();
    await innocent.assertUnharmed();
    await innocent.close();
  });
});

describe('Mercure publish bodies', () => {
  let h: RunningHub;

  beforeAll(async () => {
    h = await startHub({ mercure: { publisherJwt: { secret: SECRET } } });
  });

  afterAll(async () => {
    await h?.close();
  });

  const formHead = (token: string, length: number) =>
    [
      'POST /.well-known/mercure HTTP/1.1',
      `Host: ${new URL(h.url).host}`,
      'Content-Type: application/x-www-form-urlencoded',
      `Authorization: Bearer ${token}`,
      `Content-Length: ${length}`,
      '',
      '',
    ].join('\r\n');

  it('a Mercure token without a publish claim gets 403 without the hub waiting for the body', async () => {
    const innocent = await Innocent.open(h.url);
    const token = await mint({ mercure: { subscribe: ['*'] } }, { noSub: true });
    const a = await rawRequest(h.url, formHead(token, 100_000));
    expect(a.status).toBe(403);
    expect(a.text).toMatch(/no \\"mercure.publish\\" claim/);
    expect(a.complete).toBe(true);
    expect(a.ended).toBe(true);
    const empty = await mint({ mercure: { publish: [] } }, { noSub: true });
    const b = await rawRequest(h.url, formHead(empty, 100_000));
    expect(b.status).toBe(403);
    expect(b.text).toMatch(/claim is empty/);
    await innocent.assertUnharmed();
    await innocent.close();
  });
});

const redisUrl = await needRedis(import.meta.url);

describe.skipIf(!redisUrl)('POST /disconnect with a tenant, across hub nodes on Redis', () => {
  const prefix = uniquePrefix('edges');
  const nodes: RunningHub[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const engine = redisEngine(redisUrl as string, { keyPrefix: prefix });
      await engine.ready();
      nodes.push(await startHub({ engine, auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY } }));
    }
  });

  afterAll(async () => {
    for (const n of nodes) await n.close();
    await deleteRedisKeys(redisUrl as string, prefix);
  });

  it("a logout sent to one node reaches only that tenant's sub on the other node", async () => {
    const [one, two] = nodes as [RunningHub, RunningHub];
    const innocent = await Innocent.open(two.url, { headers: KEY });
    const grant = { subscribe: ['tenant/{tenant}/**'] };
    const ta = await mint({ sub: 'u9', tenant: 'a', tidings: grant }, { jti: 'node-a' });
    const tb = await mint({ sub: 'u9', tenant: 'b', tidings: grant }, { jti: 'node-b' });
    const a = await StreamReader.open(two.url, ['tenant/a/feed'], { query: { token: ta } });
    const b = await StreamReader.open(two.url, ['tenant/b/feed'], { query: { token: tb } });
    await a.waitFor((x) => x.of('connected').length > 0);
    await b.waitFor((x) => x.of('connected').length > 0);
    const res = await post(one.url, { user: 'u9', tenant: 'a' }, { path: '/disconnect', headers: KEY });
    expect(res.status).toBe(200);
    expect(res.body.disconnected).toBe(0); // node one held none of them
    await a.waitFor((x) => x.of('force-logout').length > 0 && x.ended);
    // The revocation is shared: tenant a's token is refused on node one too.
    const again = await StreamReader.open(one.url, ['tenant/a/feed'], { query: { token: ta } });
    expect(again.response.status).toBe(401);
    await again.close();
    expect(
      (await post(one.url, { topic: 'tenant/b/feed', type: 't', data: 1 }, { headers: KEY })).status,
    ).toBe(201);
    await b.waitForEvents(1);
    expect(b.of('force-logout')).toEqual([]);
    expect(b.ended).toBe(false);
    await b.close();
    await innocent.assertUnharmed();
    await innocent.close();
  });
});
