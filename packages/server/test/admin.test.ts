import { afterEach, describe, expect, it } from 'vitest';
import {
  type AdminHandle,
  type Authorizer,
  type HubStats,
  installAdmin,
  memoryStore,
  type NewEvent,
} from '../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const TOKEN = 'admin-token-for-tests';
const bearer = { authorization: `Bearer ${TOKEN}` };

/** Users come from an `x-user` header: enough to test per-user disconnects. */
const byHeader: Authorizer = {
  async authorizeSubscribe(req) {
    return { principal: { user: req.header('x-user') } };
  },
  async authorizePublish() {
    return {};
  },
};

let h: RunningHub | undefined;
let admin: AdminHandle | undefined;
const readers: StreamReader[] = [];
afterEach(async () => {
  admin?.stop();
  admin = undefined;
  await Promise.all(readers.splice(0).map((r) => r.close()));
  await h?.close();
  h = undefined;
});

async function start(opts: Parameters<typeof startHub>[0] = {}): Promise<RunningHub> {
  h = await startHub({ authorizer: byHeader, ...opts });
  admin = installAdmin(h.hub, { token: TOKEN, intervalMs: 50 });
  return h;
}

async function open(topics: string[], headers: Record<string, string> = {}) {
  const r = await StreamReader.open((h as RunningHub).url, topics, { headers });
  readers.push(r);
  return r;
}

async function connected(r: StreamReader): Promise<string> {
  await r.waitFor((x) => x.of('connected').length > 0);
  return JSON.parse(r.of('connected')[0]?.data ?? '{}').connectionId;
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message).toMatch(/^[A-Z$].*\.$/);
  return body.error;
}

async function stats(base: string): Promise<HubStats> {
  const res = await fetch(new URL('/admin/stats', base), { headers: bearer });
  expect(res.status).toBe(200);
  return (await res.json()) as HubStats;
}

describe('admin endpoints', () => {
  it('need the admin token, and a one-time ?token= login leaves only a derived cookie', async () => {
    const { url } = await start();
    for (const path of ['/admin', '/admin/stats']) {
      const res = await fetch(new URL(path, url), { headers: { accept: 'text/html' } });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('unauthorized');
      const wrong = await fetch(new URL(path, url), { headers: { authorization: 'Bearer not-it' } });
      expect(wrong.status).toBe(401);
    }
    const bad = await fetch(new URL('/admin?token=guess', url), { redirect: 'manual' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();

    const login = await fetch(new URL(`/admin?token=${TOKEN}`, url), { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/admin');
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^tidings_admin=[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] as string;

    const page = await fetch(new URL('/admin', url), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    const html = await page.text();
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toContain(TOKEN);
    expect((await fetch(new URL('/admin/stats', url), { headers: { cookie } })).status).toBe(200);
    expect(
      (await fetch(new URL('/admin/stats', url), { headers: { cookie: 'tidings_admin=forged' } })).status,
    ).toBe(401);
  });

  it('report live connections, rates, rankings and recent events with payload previews', async () => {
    const { url, hub } = await start();
    const a = await open(['orders/**'], { 'x-user': 'alice' });
    const b = await open(['chat/1'], { 'x-user': 'bob' });
    await Promise.all([connected(a), connected(b)]);
    for (let i = 0; i < 12; i++) {
      await hub.publish({
        topic: i < 9 ? `orders/${i}` : 'chat/1',
        type: i < 9 ? 'order' : 'msg',
        data: { i },
      });
    }
    await hub.publish({ topic: 'chat/1', type: 'msg', data: { text: 'x'.repeat(1000) } });
    await Promise.all([a.waitForEvents(9), b.waitForEvents(4)]);
    const s = await stats(url);
    expect(s.node).toBe(hub.nodeId);
    expect(s.connections.open).toBe(2);
    expect(s.connections.sys).toBe(0);
    expect(s.connections.subscriptions).toBe(2);
    expect(s.connections.list.map((c) => c.user).sort()).toEqual(['alice', 'bob']);
    expect(s.activity.totals.published).toBe(13);
    expect(s.activity.totals.delivered).toBe(13);
    expect(s.activity.types).toEqual([
      { name: 'order', count: 9 },
      { name: 'msg', count: 4 },
    ]);
    expect(s.activity.topics[0]).toEqual({ name: 'chat/1', count: 4 });
    expect(s.activity.series.published.reduce((x, y) => x + y, 0)).toBe(13);
    expect(s.activity.series.published.length).toBeGreaterThanOrEqual(20);
    const newest = s.activity.recent[0];
    expect(newest?.type).toBe('msg');
    expect(newest?.truncated).toBe(true);
    expect(newest?.preview.length).toBe(400);
    expect(s.activity.recent[1]?.preview).toBe('{"i":11}');
    expect(s.process.heapUsedBytes).toBeGreaterThan(0);
  });

  it('disconnect one connection or every connection of a user', async () => {
    const { url, hub } = await start();
    const a1 = await open(['x'], { 'x-user': 'alice' });
    const a2 = await open(['y'], { 'x-user': 'alice' });
    const b = await open(['x'], { 'x-user': 'bob' });
    const [, , bobId] = await Promise.all([connected(a1), connected(a2), connected(b)]);
    const disconnect = (body: unknown, headers: Record<string, string> = bearer) =>
      fetch(new URL('/admin/disconnect', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    expect((await disconnect({ connection: bobId }, {})).status).toBe(401);
    expect(hub.connections()).toHaveLength(3);

    const one = await disconnect({ connection: bobId });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ node: hub.nodeId, disconnected: [bobId] });
    await b.waitFor((r) => r.ended);
    const user = await disconnect({ user: 'alice' });
    expect(((await user.json()) as { disconnected: string[] }).disconnected).toHaveLength(2);
    await until(() => hub.connections().length === 0);

    const gone = await disconnect({ connection: bobId });
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).message).toContain(bobId);
    expect((await errorOf(await disconnect({ user: 'carol' }))).code).toBe('not-found');
    expect((await errorOf(await disconnect({}))).code).toBe('bad-request');
    expect((await errorOf(await disconnect({ connection: 'a', user: 'b' }))).code).toBe('bad-request');
    const form = await fetch(new URL('/admin/disconnect', url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...bearer },
      body: 'user=alice',
    });
    expect(form.status).toBe(415);
    expect(hub.connections()).toHaveLength(0);
    const closed = (await stats(url)).activity.closeReasons;
    expect(closed.disconnected).toBe(3);
  });

  it('refuse tokens shorter than 8 characters', async () => {
    h = await startHub();
    expect(() => installAdmin((h as RunningHub).hub, { token: 'short' })).toThrow(/at least 8 characters/);
  });
});

describe('$sys topics', () => {
  it('reach admin-token holders only, live, without ids, and never touch history', async () => {
    const store = memoryStore();
    const appended: NewEvent[] = [];
    const append = store.append.bind(store);
    store.append = (events) => {
      appended.push(...events);
      return append(events);
    };
    const { url, hub } = await start({ store });

    // Ordinary subscribers: refused by name, and blind to $sys through wildcards.
    const refused = await fetch(new URL(`/events?topic=${encodeURIComponent('$sys/stats')}`, url));
    expect(refused.status).toBe(401);
    expect((await errorOf(refused)).message).toMatch(/admin token/);
    const mixed = await fetch(new URL(`/events?topic=${encodeURIComponent('$sys/**')}&topic=orders`, url), {
      headers: bearer,
    });
    expect(mixed.status).toBe(400);
    const everything = await open(['**']);
    const starred = await open(['*/stats']);
    await Promise.all([connected(everything), connected(starred)]);

    // The admin stream, opened with the token.
    const sys = await open(['$sys/**'], bearer);
    await connected(sys);
    await hub.publish({ topic: 'orders/1', type: 'order', data: { n: 1 } });
    await sys.waitFor((r) =>
      r.of('stats').some((f) => JSON.parse(f.data).data.activity.totals.published === 1),
    );
    await everything.waitForEvents(1);
    const frame = sys.of('stats').at(-1);
    expect(frame?.id).toBeUndefined();
    const env = JSON.parse(frame?.data ?? '{}');
    expect(env.topic).toBe('$sys/stats');
    expect(env.data.connections.open).toBe(3);
    expect(env.data.connections.sys).toBe(1);
    const ticks = sys.of('stats').length;
    await sys.waitFor((r) => r.of('stats').length >= ticks + 3);

    expect(everything.frames.filter((f) => f.event === 'stats')).toEqual([]);
    expect(everything.events.map((e) => e.topic)).toEqual(['orders/1']);
    expect(starred.frames.filter((f) => f.event === 'stats')).toEqual([]);
    expect(appended.map((e) => e.topic)).toEqual(['orders/1']);

    // Nobody publishes into $sys.
    const pub = await post(url, { topic: '$sys/stats', type: 'stats', data: {} });
    expect(pub.status).toBe(400);
    expect(pub.body.error.code).toBe('invalid-topic');
    await expect(hub.publish({ topic: '$sys/x', type: 't', data: 1 })).rejects.toThrow(/reserved/);
    expect(appended).toHaveLength(1);
  });

  it('accept the admin session cookie, as the admin page’s EventSource sends it', async () => {
    const { url } = await start();
    const login = await fetch(new URL(`/admin?token=${TOKEN}`, url), { redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const sys = await open(['$sys/stats'], { cookie });
    expect(sys.response.status).toBe(200);
    await sys.waitFor((r) => r.of('stats').length > 0);
  });

  it('are closed to everyone when no admin is installed', async () => {
    h = await startHub();
    const res = await fetch(new URL(`/events?topic=${encodeURIComponent('$sys/stats')}`, h.url), {
      headers: bearer,
    });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toMatch(/no admin token configured/);
  });
});
