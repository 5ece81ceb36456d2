import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../src/engines/redis/index.js';
import { type Authorizer, HubError } from '../src/index.js';
import { post, type RunningHub, StreamReader, startHub } from './helpers.js';
import { deleteRedisKeys, needRedis, TcpProxy, uniquePrefix } from './services.js';

/**
 * Several hubs in this process, each with its own Redis engine (its own connections), as
 * separate nodes would have. The multi-process tests with `tidings serve` are in
 * packages/cli/test/cluster.test.ts.
 */
const url = await needRedis(import.meta.url);

let prefix = '';
const hubs: RunningHub[] = [];
const readers: StreamReader[] = [];
const proxies: TcpProxy[] = [];

beforeEach(() => {
  prefix = uniquePrefix('nodes');
});
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of hubs.splice(0)) await h.close();
  for (const p of proxies.splice(0)) await p.cut();
  if (url) await deleteRedisKeys(url, prefix);
});

interface NodeOptions {
  redis?: string;
  fanoutBacklog?: number;
  authorizer?: (engine: RedisEngine) => Authorizer;
}

async function node(o: NodeOptions = {}): Promise<RunningHub & { engine: RedisEngine }> {
  const engine = redisEngine(o.redis ?? (url as string), {
    keyPrefix: prefix,
    fanoutBacklog: o.fanoutBacklog,
    presenceTtlMs: 3000,
  });
  await engine.ready();
  const h = await startHub({ engine, heartbeatMs: 100, authorizer: o.authorizer?.(engine) });
  hubs.push(h);
  return Object.assign(h, { engine });
}

async function open(...args: Parameters<typeof StreamReader.open>): Promise<StreamReader> {
  const r = await StreamReader.open(...args);
  readers.push(r);
  return r;
}

async function publish(h: RunningHub, topic: string, data: unknown, id?: string): Promise<string> {
  const res = await post(h.url, { topic, type: 't', data, ...(id && { id }) });
  if (res.status !== 201) throw new Error(`publish answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function get(h: RunningHub, path: string) {
  const res = await fetch(new URL(path, h.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const ids = (r: StreamReader) => r.events.map((e) => e.id);

describe.skipIf(!url)('hub nodes on Redis', () => {
  it('delivers a publish on one node to subscribers on the others; a resume on any node replays what was missed', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const onB = await open(b.url, ['room/*']);
    const onC = await open(c.url, ['room/1']);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push(await publish(a, `room/${(i % 2) + 1}`, { i }));
    await onB.waitForEvents(6);
    await onC.waitForEvents(3);
    expect(ids(onB)).toEqual(sent);
    expect(ids(onC)).toEqual(sent.filter((_, i) => i % 2 === 0));

    // Resume on a third node from the first event: exactly the rest, in order.
    const resumed = await open(c.url, ['room/*'], { lastEventId: sent[0] });
    await resumed.waitForEvents(5);
    expect(ids(resumed)).toEqual(sent.slice(1));
    expect(resumed.of('reset')).toEqual([]);

    // A supplied id is idempotent cluster-wide: the second publish (on another node) is not delivered.
    expect(await publish(b, 'room/1', { v: 1 }, 'order-7')).toBe('order-7');
    const again = await post(c.url, { topic: 'room/1', type: 't', data: { v: 2 }, id: 'order-7' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: 'order-7', duplicate: true, event: { data: { v: 1 } } });
    const marker = await publish(c, 'room/1', 'marker');
    await onC.waitFor((r) => ids(r).includes(marker));
    expect(ids(onC).filter((id) => id === 'order-7')).toHaveLength(1);
  });

  it('answers /healthz ok with the redis store and broker', async () => {
    const a = await node();
    expect(await get(a, '/healthz')).toMatchObject({
      status: 200,
      body: { status: 'ok', store: 'redis', broker: 'redis' },
    });
  });

  it('counts presence across nodes, by topic and by pattern, only for callers who may read the topic', async () => {
    const authorizer = (): Authorizer => ({
      async authorizeSubscribe(req, patterns) {
        if (patterns.some((p) => p.startsWith('secret'))) {
          throw new HubError(403, 'forbidden', 'Secret topics are not for you.');
        }
        return { principal: { user: req.header('x-user') } };
      },
      async authorizePublish() {
        return {};
      },
    });
    const [a, b, c] = [await node({ authorizer }), await node({ authorizer }), await node({ authorizer })];
    const presence = async (h: RunningHub, topic: string) => (await get(h, `/presence?topic=${topic}`)).body;
    const s1 = await open(a.url, ['room/1'], { headers: { 'x-user': 'ann' } });
    await open(b.url, ['room/1', 'room/*'], { headers: { 'x-user': 'bob' } });
    await open(b.url, ['room/**'], { headers: { 'x-user': 'ann' } });
    await open(a.url, ['room/2']);
    let now: Record<string, unknown> = {};
    const poll = async (h: RunningHub, topic: string, connections: number) => {
      const end = Date.now() + 5000;
      for (;;) {
        now = await presence(h, topic);
        if (now.connections === connections || Date.now() > end) return now;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // bob's stream matches room/1 twice (by name and by pattern) and counts once.
    expect(await poll(c, 'room/1', 3)).toEqual({ topic: 'room/1', connections: 3, users: ['ann', 'bob'] });
    expect(await poll(c, 'room/2', 3)).toEqual({ topic: 'room/2', connections: 3, users: ['ann', 'bob'] });
    await s1.close();
    expect(await poll(b, 'room/1', 2)).toEqual({ topic: 'room/1', connections: 2, users: ['ann', 'bob'] });

    const bad = await get(c, '/presence?topic=room/*');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid-topic' } });
    expect((await get(c, '/presence')).status).toBe(400);
    const secret = await get(c, '/presence?topic=secret/plans');
    expect(secret).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });

    // A node that shuts down withdraws its connections at once.
    await hubs.splice(hubs.indexOf(b), 1)[0]?.close();
    expect(await poll(a, 'room/1', 0)).toEqual({ topic: 'room/1', connections: 0, users: [] });
  });

  it('shares revocations and carries disconnect control messages to every node', async () => {
    // The plumbing the JWT authorizer and POST /disconnect use: a revocation recorded on one node
    // refuses the token on another, and a control message closes its open streams everywhere.
    const authorizer = (engine: RedisEngine): Authorizer => ({
      async authorizeSubscribe(req) {
        const token = req.header('x-token') ?? '';
        if (await engine.revocations.isRevoked(`jti:${token}`)) {
          throw new HubError(401, 'unauthorized', 'This token was revoked; sign in again.');
        }
        return { principal: { user: token.split('.')[0] } };
      },
      async authorizePublish() {
        return {};
      },
    });
    const [a, , c] = [await node({ authorizer }), await node({ authorizer }), await node({ authorizer })];
    for (const h of hubs) {
      const n = h as RunningHub & { engine: RedisEngine };
      n.engine.broker.onControl((m) => {
        if (m.kind !== 'disconnect') return;
        for (const conn of n.hub.connections())
          if (conn.user === m.user) n.hub.disconnect(conn.id, 'force-logout');
      });
    }
    a.hub.route('POST', '/revoke', async (req) => {
      const { token } = JSON.parse(await req.text(1000)) as { token: string };
      await a.engine.revocations.revoke(`jti:${token}`, Date.now() + 60_000);
      await a.engine.broker.sendControl({ kind: 'disconnect', user: token.split('.')[0] });
      return { status: 204, headers: {}, body: '' };
    });
    const victim = await open(c.url, ['news'], { headers: { 'x-token': 'eve.t1' } });
    const bystander = await open(c.url, ['news'], { headers: { 'x-token': 'sam.t2' } });
    expect(victim.response.status).toBe(200);
    expect((await post(a.url, { token: 'eve.t1' }, { path: '/revoke' })).status).toBe(204);
    await victim.waitFor((r) => r.ended);
    const refused = await fetch(new URL('/events?topic=news', c.url), { headers: { 'x-token': 'eve.t1' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(bystander.ended).toBe(false);
    expect(await c.engine.revocations.isRevoked('jti:sam.t2')).toBe(false);
  });

  it('keeps streams open while a node is cut off from Redis, fails its publishes fast, then delivers what it missed', async () => {
    const proxy = await TcpProxy.start(url as string);
    proxies.push(proxy);
    const a = await node({ redis: proxy.url });
    const b = await node();
    const onA = await open(a.url, ['p']);
    const first = await publish(b, 'p', 0);
    await onA.waitForEvents(1);

    await proxy.cut();
    // Once the node has noticed (its health says so), publishes fail before reaching Redis.
    const end0 = Date.now() + 10_000;
    while ((await get(a, '/healthz')).body.status !== 'degraded') {
      if (Date.now() > end0) throw new Error('node a did not notice that Redis is unreachable');
      await new Promise((r) => setTimeout(r, 10));
    }
    const refused = await post(a.url, { topic: 'p', type: 't', data: 'x' });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('unavailable');
    expect(refused.body.error.message).toMatch(
      new RegExp(
        `^Redis at redis://127\\.0\\.0\\.1:${proxy.port} is unreachable.*, so the event was not stored\\. Retry in a moment\\.$`,
      ),
    );
    expect(refused.headers.get('retry-after')).toBe('1');
    // New streams are refused until Redis is back: there is no position to start them from.
    const fresh = await get(a, '/events?topic=p');
    expect(fresh.status).toBe(503);
    expect(fresh.body).toMatchObject({ error: { code: 'unavailable' } });
    expect((fresh.body.error as { message: string }).message).toMatch(
      /unreachable.*so the stream has no position to start from\./,
    );
    const health = await get(a, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded' });
    expect(health.body.detail).toMatch(/unreachable/);

    const missed: string[] = [];
    for (let i = 1; i <= 3; i++) missed.push(await publish(b, 'p', i));
    // Heartbeats keep flowing to the cut-off node's stream.
    const beats = onA.of('heartbeat').length;
    await onA.waitFor((r) => r.of('heartbeat').length > beats + 1);
    expect(onA.ended).toBe(false);

    await proxy.heal();
    await onA.waitForEvents(4, 10_000);
    expect(ids(onA)).toEqual([first, ...missed]);
    // The same stream: no reconnect, no reset.
    expect(onA.of('connected')).toHaveLength(1);
    expect(onA.of('reset')).toEqual([]);
    const end = Date.now() + 10_000;
    while ((await get(a, '/healthz')).body.status !== 'ok') {
      if (Date.now() > end) throw new Error('node a stayed degraded after Redis came back');
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await publish(a, 'p', 'back');
    await onA.waitForEvents(5);
    expect(ids(onA)[4]).toBe(after);
  });

  it('makes streams resume from history when a node was cut off for longer than the fan-out backlog', async () => {
    const proxy = await TcpProxy.start(url as string);
    proxies.push(proxy);
    const a = await node({ redis: proxy.url, fanoutBacklog: 5 });
    const b = await node({ fanoutBacklog: 5 });
    const withEvents = await open(a.url, ['p']);
    const quiet = await open(a.url, ['q']); // receives no event: resumes from its connected frame
    const first = await publish(b, 'p', 0);
    await withEvents.waitForEvents(1);

    await proxy.cut();
    const missed: string[] = [];
    for (let i = 1; i <= 12; i++) missed.push(await publish(b, 'p', i));
    const onQ = await publish(b, 'q', 'while cut off');
    await proxy.heal();

    // Both streams end, and resuming from what each client holds loses nothing.
    await withEvents.waitFor((r) => r.ended, 10_000);
    await quiet.waitFor((r) => r.ended, 10_000);
    const lastSeen = ids(withEvents).at(-1) as string;
    expect(ids(withEvents)[0]).toBe(first);
    const resumed = await open(a.url, ['p'], { lastEventId: lastSeen });
    const seen = ids(withEvents);
    const rest = missed.slice(missed.indexOf(lastSeen) + 1);
    await resumed.waitForEvents(rest.length);
    // Whatever the first stream got, plus the replay, is every event exactly once, in order.
    expect([...seen, ...ids(resumed)]).toEqual([first, ...missed]);
    expect(resumed.of('reset')).toEqual([]);
    const quietFrom = JSON.parse(quiet.of('connected')[0]?.data ?? '{}').lastEventId as string;
    const quietAgain = await open(a.url, ['q'], { lastEventId: quietFrom });
    await quietAgain.waitForEvents(1);
    expect(ids(quietAgain)).toEqual([onQ]);
    expect(quietAgain.of('reset')).toEqual([]);
  });
});
