/**
 * Issue 19's first hour, below the browser: a poisoned outbox from an older version is unwedged
 * on start, an event the hub refuses is set aside while the rest go on, a hub that refuses the
 * backend itself shows as stuck, and the session and hub token travel in cookies (the hub takes
 * its cookie on the WebSocket handshake, from the demo's origin only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_SUBPROTOCOL } from '@tidings/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HUB_COOKIE, SESSION_COOKIE } from '../src/server/cookies.js';
import { loadSecret, publisherKey } from '../src/server/data-dir.js';
import { type DemoBackend, startDemoBackend } from '../src/server/demo-backend.js';
import { type DemoHub, startDemoHub } from '../src/server/demo-hub.js';

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A data directory with a hub and a backend on it (the backend's key may be wrong on purpose). */
async function rig(o: { before?: (dataDir: string) => void; wrongKey?: boolean; origins?: string[] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-demo-robust-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  o.before?.(dataDir);
  const secret = loadSecret(dataDir);
  const appPort = await freePort();
  const origin = `http://127.0.0.1:${appPort}`;
  const hub: DemoHub = await startDemoHub({
    port: 0,
    dataDir,
    secret,
    publisherKey: publisherKey(secret),
    origins: o.origins ?? [origin],
  });
  cleanups.push(() => hub.close());
  const logs: string[] = [];
  const backend: DemoBackend = await startDemoBackend({
    port: appPort,
    dataDir,
    secret,
    publisherKey: o.wrongKey ? `${publisherKey(secret)}-not-the-hubs` : publisherKey(secret),
    hubUrl: hub.url,
    simulate: false,
    log: (m) => logs.push(m),
  });
  cleanups.push(() => backend.close());
  const login = await fetch(`${backend.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'alice' }),
  });
  const token = ((await login.json()) as { token: string }).token;
  const get = async (path: string) => {
    const r = await fetch(`${backend.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const history = () => {
    const db = new Database(join(dataDir, 'history.db'), { readonly: true });
    try {
      return (
        db.prepare("SELECT type FROM events WHERE topic = 'console'").all() as Array<{ type: string }>
      ).map((r) => r.type);
    } finally {
      db.close();
    }
  };
  return { dataDir, hub, backend, token, get, history, logs, origin, login };
}

/** The app.db of the first release: an outbox without queued_at, and no dead letters. */
function oldOutbox(dataDir: string, rows: Array<[id: string, type: string, data: string]>): void {
  const db = new Database(join(dataDir, 'app.db'));
  db.exec(`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,
    topic TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);`);
  const insert = db.prepare("INSERT INTO outbox (id, topic, type, data) VALUES (?, 'console', ?, ?)");
  for (const r of rows) insert.run(...r);
  db.close();
}

describe('the outbox with events the hub refuses', () => {
  it('unwedges a data directory whose outbox holds a reserved type: set aside, the rest delivered', async () => {
    const r = await rig({
      before: (dir) =>
        oldOutbox(dir, [
          ['old-1', 'before.poison', '{"n":1}'],
          ['old-2', 'reset', '{"n":2}'],
          ['old-3', 'after.poison', '{"n":3}'],
        ]),
    });
    await expect.poll(() => r.history(), { timeout: 10_000 }).toEqual(['before.poison', 'after.poison']);
    const dead = await r.get('/api/dead-letters');
    expect(dead.status).toBe(200);
    expect(dead.body).toEqual([
      expect.objectContaining({
        id: 'old-2',
        type: 'reset',
        topic: 'console',
        data: { n: 2 },
        status: null,
        reason: `The backend did not send it: The event type "reset" is reserved for the hub's own events; choose another name.`,
      }),
    ]);
    const health = await r.get('/api/health');
    expect(health.body).toMatchObject({
      ok: true,
      state: 'ok',
      outboxPending: 0,
      deadLetters: 1,
      hubError: null,
    });
    // Events published afterwards flow as usual.
    const sent = await fetch(`${r.backend.url}/api/console`, {
      method: 'POST',
      headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'later', data: {} }),
    });
    expect(sent.status).toBe(201);
    await expect.poll(() => r.history(), { timeout: 10_000 }).toContain('later');
  });

  it('sets aside the one event of a batch the hub refuses (HTTP 400), with the hub’s reason; the others go out', async () => {
    const r = await rig({
      before: (dir) =>
        oldOutbox(dir, [
          ['ok-1', 'batch.one', '1'],
          // The hub refuses ids over 256 characters; the backend's own check does not look at ids.
          ['x'.repeat(300), 'batch.bad', '2'],
          ['ok-3', 'batch.three', '3'],
        ]),
    });
    await expect.poll(() => r.history(), { timeout: 10_000 }).toEqual(['batch.one', 'batch.three']);
    const dead = (await r.get('/api/dead-letters')).body as unknown as Array<Record<string, unknown>>;
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      type: 'batch.bad',
      status: 400,
      reason: 'The hub refused it (HTTP 400): The event id is 300 characters long; the limit is 256.',
    });
    expect(Date.parse(dead[0]?.failedAt as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('retries a set-aside event on an admin’s word and discards another; a member may do neither', async () => {
    const r = await rig({
      before: (dir) =>
        oldOutbox(dir, [
          ['x'.repeat(300), 'once.bad', '1'],
          ['b', 'reset', '2'],
        ]),
    });
    await expect
      .poll(async () => ((await r.get('/api/dead-letters')).body as unknown as unknown[]).length)
      .toBe(2);
    const listed = (await r.get('/api/dead-letters')).body as unknown as Array<{ seq: number; type: string }>;
    const reset = listed.find((d) => d.type === 'reset');
    const long = listed.find((d) => d.type === 'once.bad');
    const bob = await fetch(`${r.backend.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob' }),
    }).then((x) => x.json() as Promise<{ token: string }>);
    const as = (token: string, method: string, path: string) =>
      fetch(`${r.backend.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const refused = await as(bob.token, 'DELETE', `/api/dead-letters/${reset?.seq}`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe(
      'Only an admin may discard a set-aside event; sign in as alice.',
    );
    expect((await as(r.token, 'DELETE', `/api/dead-letters/${reset?.seq}`)).status).toBe(200);
    expect((await as(r.token, 'DELETE', `/api/dead-letters/${reset?.seq}`)).status).toBe(404);
    // Retried, the long id is refused again and comes back with a fresh time: nothing is lost.
    expect((await as(r.token, 'POST', `/api/dead-letters/${long?.seq}/retry`)).status).toBe(202);
    await expect
      .poll(async () =>
        ((await r.get('/api/dead-letters')).body as unknown as Array<{ type: string }>).map((d) => d.type),
      )
      .toEqual(['once.bad']);
    expect((await r.get('/api/health')).body.outboxPending).toBe(0);
  });

  it('keeps events queued and reports "stuck" while the hub refuses the backend’s key (401), setting nothing aside', async () => {
    const r = await rig({ wrongKey: true });
    const sent = await fetch(`${r.backend.url}/api/console`, {
      method: 'POST',
      headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'stuck.one', data: {} }),
    });
    expect(sent.status).toBe(201);
    await expect
      .poll(async () => (await r.get('/api/health')).body, { timeout: 10_000 })
      .toMatchObject({ ok: false, state: 'stuck', outboxPending: 1, deadLetters: 0 });
    expect((await r.get('/api/health')).body.hubError).toMatch(
      /^The hub at http:\/\/127\.0\.0\.1:\d+ answered HTTP 401 to the backend's publish: .+ Retrying with backoff\.$/,
    );
    expect(r.history()).toEqual([]);
  });
});

describe('the session and hub token in cookies', () => {
  const cookiesOf = (res: Response) => res.headers.getSetCookie();

  it('signs in with HttpOnly, SameSite=Strict cookies that open the API; signing out clears them', async () => {
    const r = await rig();
    const set = cookiesOf(r.login);
    expect(set).toHaveLength(2);
    for (const c of set) expect(c).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const session = set.find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(';')[0] as string;
    const me = await fetch(`${r.backend.url}/api/session`, { headers: { cookie: session } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe('alice');
    const out = await fetch(`${r.backend.url}/api/logout`, { method: 'POST' });
    expect(out.status).toBe(200);
    expect(cookiesOf(out)).toEqual([
      `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
      `${HUB_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    ]);
    // The hub token is not a session: the backend refuses it as a session cookie.
    const hubCookie = set.find((c) => c.startsWith(`${HUB_COOKIE}=`))?.split(';')[0] as string;
    const asSession = await fetch(`${r.backend.url}/api/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${hubCookie.split('=')[1]}` },
    });
    expect(asSession.status).toBe(200);
    expect(await asSession.json()).toEqual({
      user: null,
      reason: 'Your session is invalid or expired; sign in again.',
    });
    expect(await (await fetch(`${r.backend.url}/api/session`)).json()).toMatchObject({ user: null });
  });

  it('refuses a change made with the session cookie from another site (403) and takes it from the page (201)', async () => {
    const r = await rig();
    const session = cookiesOf(r.login)
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
      ?.split(';')[0] as string;
    const post = (headers: Record<string, string>) =>
      fetch(`${r.backend.url}/api/console`, {
        method: 'POST',
        headers: { cookie: session, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ type: 'csrf.check', data: 1 }),
      });
    const foreign: Array<Record<string, string>> = [
      {},
      { origin: 'http://evil.example' },
      { referer: 'http://evil.example/x' },
    ];
    for (const headers of foreign) {
      const res = await post(headers);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toBe(
        'A change signed in by the session cookie must come from the demo page itself; scripts send Authorization: Bearer <token> instead.',
      );
    }
    expect((await post({ origin: r.backend.url })).status).toBe(201);
  });

  it('the hub takes the hub cookie on the WebSocket handshake from the demo’s origin, with no token in the URL', async () => {
    const r = await rig();
    const hubCookie = cookiesOf(r.login)
      .find((c) => c.startsWith(`${HUB_COOKIE}=`))
      ?.split(';')[0] as string;
    const open = (origin: string) =>
      new Promise<{ op: string; status?: number; code?: number }>((resolve) => {
        const url = `${r.hub.url.replace('http:', 'ws:')}/ws?topic=console`;
        const ws = new WebSocket(url, [WS_SUBPROTOCOL], { headers: { cookie: hubCookie, origin } });
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { op: string; status?: number };
          resolve(m);
          ws.close();
        });
        ws.on('unexpected-response', (_req, res) => resolve({ op: 'http', status: res.statusCode }));
        ws.on('error', () => {});
      });
    expect((await open(r.origin)).op).toBe('connected');
    // From another site the browser would send the cookie too: the hub refuses it.
    expect(await open('http://evil.example')).toMatchObject({ op: 'error', status: 403 });
  });
});
