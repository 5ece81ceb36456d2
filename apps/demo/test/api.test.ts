/**
 * The backend's API against a real hub in this process: every bad input gets a precise 4xx with a
 * sentence, and an acknowledged change reaches the hub even when the hub was down at the time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('demo backend API', () => {
  let dataDir: string;
  let hubPort: number;
  let backend: DemoBackend;
  let hub: DemoHub | undefined;
  let secret: Uint8Array;
  const tokens: Record<string, string> = {};

  const startHub = async () => {
    hub = await startDemoHub({
      port: hubPort,
      dataDir,
      secret,
      publisherKey: publisherKey(secret),
      origins: [],
    });
  };
  const call = async (
    method: string,
    path: string,
    o: { user?: string; body?: unknown; raw?: string; type?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    if (o.user) headers.authorization = `Bearer ${tokens[o.user]}`;
    if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = o.type ?? 'application/json';
    const res = await fetch(`${backend.url}${path}`, {
      method,
      headers,
      ...(o.raw !== undefined
        ? { body: o.raw }
        : o.body !== undefined
          ? { body: JSON.stringify(o.body) }
          : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { message?: string } };
  };
  /** Whole sentences: a capital first and a full stop last. */
  const sentence = /^[A-Z"].*[.!?]$/;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tidings-demo-api-'));
    secret = loadSecret(dataDir);
    hubPort = await freePort();
    // The hub starts later, in the outbox test: the backend must not need it to answer.
    backend = await startDemoBackend({
      port: 0,
      dataDir,
      secret,
      publisherKey: publisherKey(secret),
      hubUrl: `http://127.0.0.1:${hubPort}`,
      simulate: false,
      log: () => {},
    });
    for (const user of ['alice', 'bob']) {
      const r = await call('POST', '/api/login', { body: { user } });
      expect(r.status).toBe(200);
      tokens[user] = r.body.token as string;
    }
  });
  afterAll(async () => {
    await backend?.close();
    await hub?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['POST', '/api/login', { body: {} }, 400, /Name a demo user/],
    ['POST', '/api/login', { body: { user: 'mallory' } }, 400, /no demo user "mallory"/],
    ['POST', '/api/login', { raw: '{"user":', type: 'application/json' }, 400, /not valid JSON/],
    ['POST', '/api/login', { raw: 'user=alice', type: 'application/x-www-form-urlencoded' }, 415, /as JSON/],
    ['GET', '/api/leases', {}, 401, /Sign in first/],
    [
      'POST',
      '/api/leases',
      { user: 'alice', body: { pool: 'nope' } },
      400,
      /Field "pool": Choose a pool: office, guest, iot/,
    ],
    ['POST', '/api/leases', { user: 'alice', body: { pool: 'iot', ip: '10.0.1.5' } }, 400, /not in pool iot/],
    [
      'POST',
      '/api/leases',
      { user: 'alice', body: { pool: 'iot', ip: '300.1.1.1' } },
      400,
      /Field "ip": Give an IPv4 address/,
    ],
    ['POST', '/api/leases', { user: 'alice', body: { pool: 'iot', mac: 'zz' } }, 400, /Field "mac"/],
    ['POST', '/api/leases', { user: 'alice', body: { pool: 'iot', ip: '10.0.3.10' } }, 409, /already leased/],
    ['POST', '/api/console', { user: 'alice', body: { type: 'has space', data: 1 } }, 400, /Field "type"/],
    [
      'POST',
      '/api/console',
      { user: 'alice', body: { type: 'x'.repeat(129), data: 1 } },
      400,
      /^Field "type": The event type is 129 characters long; the limit is 128\.$/,
    ],
    [
      'POST',
      '/api/console',
      { user: 'alice', body: { type: 7, data: 1 } },
      400,
      /^Field "type": The event "type" must be a non-empty string such as "lease-added"\.$/,
    ],
    [
      'POST',
      '/api/console',
      { user: 'alice', body: [] },
      400,
      /^Send \{"type": "\.\.\.", "data": \.\.\.\} as a JSON object\.$/,
    ],
    [
      'POST',
      '/api/console',
      { user: 'alice', body: { type: 'deep', data: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) } },
      400,
      /^Field "data": The payload nests arrays and objects more than 32 deep; send a flatter payload\.$/,
    ],
    [
      'POST',
      '/api/console',
      { user: 'alice', body: { type: 'big', data: 'x'.repeat(17_000) } },
      413,
      /^The payload is 17002 bytes; keep it under 16 KiB\.$/,
    ],
    ['GET', '/api/dead-letters', {}, 401, /Sign in first/],
    ['POST', '/api/dead-letters/1/retry', { user: 'bob' }, 403, /^Only an admin may retry a set-aside event/],
    ['POST', '/api/dead-letters/abc/retry', { user: 'alice' }, 400, /"abc" is not a dead letter number/],
    ['POST', '/api/dead-letters/999/retry', { user: 'alice' }, 404, /no set-aside event 999/],
    ['DELETE', '/api/dead-letters/999', { user: 'alice' }, 404, /no set-aside event 999/],
    [
      'POST',
      '/api/console',
      { user: 'alice', body: { type: 'ok' } },
      400,
      /Field "data": Give a JSON payload/,
    ],
    [
      'POST',
      '/api/admin/force-logout',
      { user: 'bob', body: { user: 'alice', reason: 'x' } },
      403,
      /Only an admin/,
    ],
    [
      'POST',
      '/api/admin/force-logout',
      { user: 'alice', body: { user: 'zed', reason: 'x' } },
      400,
      /Field "user"/,
    ],
    ['PATCH', '/api/coaching/items/99999', { user: 'alice', body: { body: 'x' } }, 404, /no item 99999/],
    [
      'PATCH',
      '/api/coaching/items/1',
      { user: 'alice', body: {} },
      400,
      /Change the body, the status or both/,
    ],
    [
      'POST',
      '/api/coaching/cs-1/actions',
      { user: 'alice', body: { body: '   ' } },
      400,
      /Write something first/,
    ],
    ['POST', '/api/builds', { user: 'alice', body: { workloadId: 'nope' } }, 404, /no workload "nope"/],
    ['GET', '/api/nothing', {}, 404, /There is no \/api\/nothing/],
    ['DELETE', '/api/leases', { user: 'alice' }, 405, /takes GET or POST, not DELETE/],
  ] as const)('%s %s %j answers %i with a sentence', async (method, path, o, status, message) => {
    const r = await call(method, path, o);
    expect(r.status).toBe(status);
    expect(r.body.message).toMatch(message);
    expect(r.body.message).toMatch(sentence);
  });

  it.each(['reset', 'connected', 'heartbeat', 'token-expired', 'force-logout'])(
    'refuses the hub’s reserved type "%s" at the console with 400, and queues nothing',
    async (type) => {
      const r = await call('POST', '/api/console', { user: 'alice', body: { type, data: {} } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        error: 'invalid-input',
        message: `Field "type": The event type "${type}" is reserved for the hub's own events; choose another name.`,
      });
      expect((await call('GET', '/api/health')).body.outboxPending).toBe(0);
    },
  );

  it('trades a token expired a minute ago for a fresh one, but opens nothing else with it', async () => {
    const { SignJWT } = await import('jose');
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await new SignJWT({ sid: 's1', iat_ms: Date.now() - 3_660_000 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt(past - 3600)
      .setExpirationTime(past)
      .sign(secret);
    const headers = { authorization: `Bearer ${expired}` };
    expect((await fetch(`${backend.url}/api/leases`, { headers })).status).toBe(401);
    const res = await fetch(`${backend.url}/api/token`, { method: 'POST', headers });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(
      (await fetch(`${backend.url}/api/leases`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
  });

  it('refuses a forged token', async () => {
    const forged = `${tokens.alice?.slice(0, -6)}AAAAAA`;
    const res = await fetch(`${backend.url}/api/leases`, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });

  it('acknowledges a change while the hub is down and delivers it once the hub is up', async () => {
    const r = await call('POST', '/api/leases', {
      user: 'alice',
      body: { pool: 'guest', ip: '10.0.2.200', hostname: 'outbox-test' },
    });
    // Out of the pool's range is allowed by prefix; the lease is stored and its event queued.
    expect(r.status).toBe(201);
    const health = await call('GET', '/api/health');
    expect(health.body.outboxPending).toBe(1);
    expect(health.body.hubError).toMatch(/Could not publish to the hub/);

    await startHub();
    await expect
      .poll(async () => (await call('GET', '/api/health')).body.outboxPending, { timeout: 15_000 })
      .toBe(0);
    const history = new Database(join(dataDir, 'history.db'), { readonly: true });
    try {
      const rows = history.prepare("SELECT type, data FROM events WHERE topic = 'leases'").all() as Array<{
        type: string;
        data: string;
      }>;
      expect(rows.map((x) => x.type)).toEqual(['lease-added']);
      expect(JSON.parse(rows[0]?.data ?? '{}').lease.hostname).toBe('outbox-test');
    } finally {
      history.close();
    }
  });

  it('forces a logout through the hub and refuses the old token afterwards', async () => {
    const r = await call('POST', '/api/admin/force-logout', {
      user: 'alice',
      body: { user: 'bob', reason: 'Role changed.' },
    });
    expect(r.status).toBe(200);
    expect(r.body.hub).toEqual({ disconnected: 0 });
    const after = await call('GET', '/api/leases', { user: 'bob' });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/signed out by an admin/);
    // Signing in again works at once.
    const again = await call('POST', '/api/login', { body: { user: 'bob' } });
    tokens.bob = again.body.token as string;
    expect((await call('GET', '/api/leases', { user: 'bob' })).status).toBe(200);
  });
});
