import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub, type Engine, MemoryBroker, MemoryRevocations, memoryStore } from '../src/index.js';
import { mint, PUBLISHER_KEY, SECRET, subscribeStatus } from './auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const running: RunningHub[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});

const auth = { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY };
const grant = { subscribe: ['tenant/{tenant}/**', 'user/{sub}/**', 'news'] };
const key = { authorization: `Bearer ${PUBLISHER_KEY}` };

async function hub(opts = {}) {
  const h = await startHub({ auth, ...opts });
  running.push(h);
  return h;
}
async function open(base: string, topics: string[], token: string, lastEventId?: string) {
  const r = await StreamReader.open(base, topics, { query: { token }, ...(lastEventId && { lastEventId }) });
  readers.push(r);
  expect(r.response.status).toBe(200);
  await r.waitFor((x) => x.frames.length >= 1);
  return r;
}

describe('token expiry', () => {
  it('sends token-expired and ends the stream; a fresh token resumes with nothing lost', async () => {
    const h = await hub();
    const short = await mint({ sub: 'u1', tidings: grant }, { expIn: 2 });
    const r = await open(h.url, ['news'], short);
    const first = await h.hub.publish({ topic: 'news', type: 't', data: 1 });
    await r.waitForEvents(1);
    await r.waitFor((x) => x.ended, 15_000);
    const expired = r.of('token-expired');
    expect(expired).toHaveLength(1);
    expect(JSON.parse(expired[0]?.data ?? '{}')).toEqual({ expiredAt: expect.stringMatching(/Z$/) });
    expect(expired[0]?.id).toBeUndefined();
    // Published while the client was away: it must come back on resume.
    const missed = await h.hub.publish({ topic: 'news', type: 't', data: 2 });
    const again = await open(h.url, ['news'], await mint({ sub: 'u1', tidings: grant }), first.id);
    const after = await h.hub.publish({ topic: 'news', type: 't', data: 3 });
    await again.waitForEvents(2);
    expect(again.events.map((e) => e.id)).toEqual([missed.id, after.id]);
    await until(() => h.hub.connections().length === 1);
  });
});

describe('forced logout', () => {
  it("closes the user's streams with force-logout, leaves others alone, and refuses the same token", async () => {
    const h = await hub();
    const t1 = await mint({ sub: 'u1', sid: 's1', tidings: grant }, { jti: 'tok-1' });
    const t1b = await mint({ sub: 'u1', sid: 's9', tidings: grant });
    const t2 = await mint({ sub: 'u2', sid: 's2', tidings: grant });
    const a = await open(h.url, ['news'], t1);
    const b = await open(h.url, ['user/u1/**'], t1b);
    const other = await open(h.url, ['news'], t2);
    await until(() => h.hub.connections().length === 3);

    const r = await post(
      h.url,
      { user: 'u1', reason: 'password changed' },
      { path: '/disconnect', headers: key },
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ disconnected: 2 });
    for (const x of [a, b]) {
      await x.waitFor((s) => s.ended);
      expect(x.of('force-logout').map((f) => JSON.parse(f.data))).toEqual([{ reason: 'password changed' }]);
    }
    const ev = await h.hub.publish({ topic: 'news', type: 't', data: 'still here' });
    await other.waitForEvents(1);
    expect(other.events[0]?.id).toBe(ev.id);
    expect(other.ended).toBe(false);

    for (const t of [t1, t1b]) {
      const again = await subscribeStatus(h.url, ['news'], { token: t });
      expect(again.status).toBe(401);
      expect(again.body.error).toMatchObject({
        code: 'token-revoked',
        message: expect.stringMatching(/logged out by the server; sign in again/),
      });
    }
    // A token issued after the logout (a new sign-in) is accepted.
    await new Promise((res) => setTimeout(res, 1100)); // iat has one-second resolution
    await open(h.url, ['news'], await mint({ sub: 'u1', sid: 's3', tidings: grant }));
  });

  it('revokes a named session for every token that carries it, even ones not connected', async () => {
    const h = await hub();
    const s = await open(h.url, ['news'], await mint({ sub: 'u1', sid: 'sess-A', tidings: grant }));
    const keep = await open(h.url, ['news'], await mint({ sub: 'u1', sid: 'sess-B', tidings: grant }));
    const r = await post(h.url, { session: 'sess-A' }, { path: '/disconnect', headers: key });
    expect(r.body).toEqual({ disconnected: 1 });
    await s.waitFor((x) => x.ended);
    expect(JSON.parse(s.of('force-logout')[0]?.data ?? '{}')).toEqual({ reason: 'logged-out' });
    const fresh = await mint({ sub: 'u1', sid: 'sess-A', tidings: grant });
    expect((await subscribeStatus(h.url, ['news'], { token: fresh })).body.error.code).toBe('token-revoked');
    expect(
      (
        await post(
          h.url,
          { topic: 'user/u1/x', type: 't', data: 1 },
          { headers: { authorization: `Bearer ${fresh}` } },
        )
      ).status,
    ).toBe(401);
    expect(keep.ended).toBe(false);
  });

  it('reaches streams on another node through the broker, and the revocation holds there', async () => {
    const store = memoryStore();
    const broker = new MemoryBroker();
    const revocations = new MemoryRevocations();
    const engine = (closes: boolean): Engine => ({
      store,
      broker,
      revocations,
      async close() {
        if (closes) await Promise.all([store.close(), broker.close(), revocations.close()]);
      },
    });
    const nodes = [];
    for (const [i, closes] of [
      [1, false],
      [2, true],
    ] as const) {
      const hub = createHub({ engine: engine(closes), auth, nodeId: `n${i}` });
      const server = createServer(hub.handleNode);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const h: RunningHub = {
        hub,
        server,
        url,
        async close() {
          await hub.close();
          server.closeAllConnections();
          await new Promise((r) => server.close(r));
        },
      };
      nodes.push(h);
    }
    running.push(...nodes);
    const [n1, n2] = nodes as [RunningHub, RunningHub];
    const token = await mint({ sub: 'u1', tidings: grant });
    const onN2 = await open(n2.url, ['news'], token);
    await until(() => n2.hub.connections().length === 1);
    const r = await post(n1.url, { user: 'u1', reason: 'admin' }, { path: '/disconnect', headers: key });
    expect(r.body).toEqual({ disconnected: 0 }); // none on the node that answered
    await onN2.waitFor((x) => x.ended);
    expect(onN2.of('force-logout')).toHaveLength(1);
    await until(() => n2.hub.connections().length === 0);
    expect((await subscribeStatus(n1.url, ['news'], { token })).status).toBe(401);
    expect((await subscribeStatus(n2.url, ['news'], { token })).status).toBe(401);
  });

  it("refuses the user's tokens that never connected (not just for a minute), while one issued after the logout works", async () => {
    const h = await hub();
    const stale = await mint({ sub: 'u7', tidings: grant });
    const r = await post(h.url, { user: 'u7' }, { path: '/disconnect', headers: key });
    expect(r.body).toEqual({ disconnected: 0 });
    // Before, this token opened a stream (closed again only if it came within 60 s); now the
    // revocation store refuses it outright until the longest token issued before it expired.
    const res = await subscribeStatus(h.url, ['news'], { token: stale });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({
      code: 'token-revoked',
      message:
        'This user was logged out by the server after this token was issued; sign in again to get a new token.',
    });
    await new Promise((res) => setTimeout(res, 1000 - (Date.now() % 1000) + 20));
    expect(
      (await subscribeStatus(h.url, ['news'], { token: await mint({ sub: 'u7', tidings: grant }) })).status,
    ).toBe(200);
  });
});

describe('targeted delivery', () => {
  it('delivers "to" events only to the named users and sessions, live and on replay', async () => {
    const h = await hub();
    const u1 = await mint({ sub: 'u1', sid: 's1', tidings: grant });
    const u2 = await mint({ sub: 'u2', sid: 's2', tidings: grant });
    const l1 = await open(h.url, ['news'], u1);
    const l2 = await open(h.url, ['news'], u2);
    const start = await h.hub.publish({ topic: 'news', type: 't', data: 'all' });
    const p1 = await post(
      h.url,
      { topic: 'news', type: 't', data: 'u1 only', to: { users: ['u1'] } },
      { headers: key },
    );
    const p2 = await post(
      h.url,
      { topic: 'news', type: 't', data: 's2 only', to: { sessions: ['s2'] } },
      { headers: key },
    );
    const end = await h.hub.publish({ topic: 'news', type: 't', data: 'all' });
    await l1.waitForEvents(3);
    await l2.waitForEvents(3);
    expect(l1.events.map((e) => e.id)).toEqual([start.id, p1.body.id, end.id]);
    expect(l2.events.map((e) => e.id)).toEqual([start.id, p2.body.id, end.id]);
    const r1 = await open(h.url, ['news'], u1, start.id);
    const r2 = await open(h.url, ['news'], u2, start.id);
    await r1.waitForEvents(2);
    await r2.waitForEvents(2);
    expect(r1.events.map((e) => e.id)).toEqual([p1.body.id, end.id]);
    expect(r2.events.map((e) => e.id)).toEqual([p2.body.id, end.id]);
  });
});

describe('tenant isolation on replay', () => {
  it("replays only the token's tenant to a pattern that spans tenants", async () => {
    const h = await hub();
    const anchor = await h.hub.publish({ topic: 'tenant/a/jobs', type: 't', data: 0 });
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const a = await h.hub.publish({ topic: 'tenant/a/jobs', type: 't', data: i });
      await h.hub.publish({ topic: 'tenant/b/jobs', type: 't', data: i });
      expected.push(a.id);
    }
    const r = await open(
      h.url,
      ['tenant/*/jobs'],
      await mint({ sub: 'ua', tenant: 'a', tidings: grant }),
      anchor.id,
    );
    const live = await h.hub.publish({ topic: 'tenant/b/jobs', type: 't', data: 'b live' });
    const mine = await h.hub.publish({ topic: 'tenant/a/jobs', type: 't', data: 'a live' });
    expected.push(mine.id);
    await r.waitForEvents(expected.length);
    await until(() => r.events.length >= expected.length);
    expect(r.events.map((e) => e.id)).toEqual(expected);
    expect(r.events.some((e) => e.id === live.id)).toBe(false);
  });

  it('replays with a small page size too (filter applied per event, not per page)', async () => {
    const h = await hub({ replayPageSize: 3 });
    const anchor = await h.hub.publish({ topic: 'x', type: 't', data: 0 });
    const want: string[] = [];
    for (let i = 0; i < 10; i++) {
      await h.hub.publish({ topic: 'tenant/b/x', type: 't', data: i });
      want.push((await h.hub.publish({ topic: 'tenant/a/x', type: 't', data: i })).id);
    }
    const r = await open(
      h.url,
      ['tenant/*/x'],
      await mint({ sub: 'ua', tenant: 'a', tidings: grant }),
      anchor.id,
    );
    await r.waitForEvents(10);
    expect(r.events.map((e) => e.id)).toEqual(want);
  });
});
