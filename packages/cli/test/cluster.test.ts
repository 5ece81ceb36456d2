import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResetPayload, TidingsEvent } from '@tidings/protocol';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StreamReader, until } from '../../server/test/helpers.js';
import {
  deleteRedisKeys,
  needRedis,
  needRedisServer,
  OwnRedis,
  uniquePrefix,
} from '../../server/test/services.js';
import { run, type ServeProcess, serve } from './spawn-cli.js';

/**
 * Several `tidings serve --redis` processes on real sockets and a real Redis: the shared one
 * (unique key prefix per run), or a private redis-server for the tests that stop it.
 */
const redisUrl = await needRedis(import.meta.url);
const ownRedis = needRedisServer(import.meta.url);

const procs: ServeProcess[] = [];
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
afterAll(() => {
  for (const p of procs) p.proc.kill('SIGKILL');
});

async function startNodes(
  n: number,
  redis: string,
  prefix: string,
  extra: string[] = [],
): Promise<ServeProcess[]> {
  const nodes = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      serve([
        '--redis',
        redis,
        '--redis-prefix',
        prefix,
        '--node-id',
        `n${i}`,
        '--retry',
        '100ms',
        '--heartbeat',
        '300ms',
        '--presence-ttl',
        '1500ms',
        ...extra,
      ]),
    ),
  );
  procs.push(...nodes);
  return nodes;
}

async function publish(url: string, topic: string, data: unknown): Promise<string> {
  const res = await fetch(`${url}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, type: 't', data }),
  });
  const body = (await res.json()) as { id?: string; error?: { message: string } };
  if (res.status !== 201) throw Object.assign(new Error(body.error?.message), { status: res.status });
  return body.id as string;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function poll<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A browser-like subscriber: a real EventSource (reconnects with Last-Event-ID on its own) whose
 * requests a stand-in load balancer sends to whichever node `route` picks.
 */
class Subscriber {
  readonly events: TidingsEvent[] = [];
  readonly resets: ResetPayload[] = [];
  /** The node of every stream this subscriber opened. */
  readonly nodes: string[] = [];
  /** The Last-Event-ID each stream was opened with. */
  readonly sentIds: string[] = [];
  /** Resolves when the first stream is open: events published from then on are its to receive. */
  readonly opened: Promise<void>;
  private readonly es: EventSource;

  constructor(topics: string[], route: () => string) {
    const q = topics.map((t) => `topic=${encodeURIComponent(t)}`).join('&');
    this.es = new EventSource(`http://balancer.invalid/events?${q}`, {
      fetch: (input, init) => {
        const node = route();
        this.nodes.push(node);
        this.sentIds.push(String((init.headers as Record<string, string>)['Last-Event-ID']));
        const u = new URL(String(input));
        return fetch(`${node}${u.pathname}${u.search}`, init);
      },
    });
    this.opened = new Promise((resolve) => this.es.addEventListener('open', () => resolve(), { once: true }));
    this.es.addEventListener('t', (e) => this.events.push(JSON.parse(e.data) as TidingsEvent));
    this.es.addEventListener('reset', (e) => this.resets.push(JSON.parse(e.data) as ResetPayload));
    closers.push(() => this.es.close());
  }

  get ids(): string[] {
    return this.events.map((e) => e.id);
  }
}

function byTopic(events: readonly TidingsEvent[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of events) {
    const list = m.get(e.topic) ?? [];
    list.push(e.id);
    m.set(e.topic, list);
  }
  return m;
}

describe('tidings serve --redis command line', () => {
  it('refuses conflicting or malformed Redis flags with a sentence and exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--redis', 'redis://127.0.0.1:6379', '--memory'], /--redis and --memory exclude each other/],
      [['--redis', 'redis://127.0.0.1:6379', '--data', '/tmp/x'], /--redis and --data exclude each other/],
      [['--redis', 'http://127.0.0.1:6379'], /must start with redis:\/\/ or rediss:\/\//],
      [['--redis-prefix', 'app'], /--redis-prefix only applies with --redis/],
      [['--redis', 'redis://127.0.0.1:6379', '--redis-prefix', 'a{b}'], /without braces/],
      [['--redis', 'redis://127.0.0.1:6379', '--presence-ttl', 'soon'], /--presence-ttl takes a duration/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['serve', '--dev', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const help = await run(['serve', '--help']);
    expect(help.stdout).toMatch(/--redis <url>/);
  });
});

describe.skipIf(!redisUrl)('three tidings serve nodes on one Redis', () => {
  const prefix = uniquePrefix('cluster');
  let nodes: ServeProcess[] = [];
  beforeAll(async () => {
    nodes = await startNodes(3, redisUrl as string, prefix);
  }, 30_000);
  afterAll(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    await deleteRedisKeys(redisUrl as string, prefix);
  });

  it('delivers 1,000 events published round-robin across the nodes to subscribers on every node exactly once, in per-topic order', async () => {
    const topics = ['t/0', 't/1', 't/2', 't/3'];
    const readers: StreamReader[] = [];
    for (const n of nodes) {
      readers.push(await StreamReader.open(n.url, topics));
      readers.push(await StreamReader.open(n.url, ['t/*']));
    }
    closers.push(async () => {
      for (const r of readers) await r.close();
    });
    const start = await publish(nodes[0]?.url as string, 't/0', 'start');
    for (const r of readers) await r.waitForEvents(1);

    // Four publishers at once, each sending to every topic and every node in turn, so the same
    // topic receives concurrent publishes through different nodes.
    const acked: string[] = [];
    let k = 0;
    const t0 = performance.now();
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (let j = 0; j < 250; j++) {
          const node = nodes[k++ % 3] as ServeProcess;
          acked.push(await publish(node.url, topics[(w + j) % 4] as string, { w, j }));
        }
      }),
    );
    const publishMs = performance.now() - t0;
    for (const r of readers) await r.waitForEvents(1001, 30_000);
    const deliveredMs = performance.now() - t0;
    console.log(
      `1,000 events via 3 nodes: acknowledged in ${publishMs.toFixed(0)} ms, on all 6 subscribers in ${deliveredMs.toFixed(0)} ms`,
    );

    // The order every subscriber must see per topic is the order of the shared history.
    const history = await StreamReader.open(nodes[1]?.url as string, topics, { lastEventId: start });
    closers.push(() => history.close());
    await history.waitForEvents(1000, 10_000);
    const expected = byTopic(history.events);
    expect(new Set(history.events.map((e) => e.id))).toEqual(new Set(acked));

    for (const r of readers) {
      const got = r.events.slice(1);
      expect(got).toHaveLength(1000);
      expect(new Set(got.map((e) => e.id))).toEqual(new Set(acked));
      expect(byTopic(got)).toEqual(expected);
      expect(r.of('reset')).toEqual([]);
    }
  }, 90_000);

  it('counts presence across nodes, and forgets the connections of a node killed with -9', async () => {
    const [a, b, c] = nodes as [ServeProcess, ServeProcess, ServeProcess];
    const readers = [
      await StreamReader.open(a.url, ['pres/x']),
      await StreamReader.open(a.url, ['pres/x', 'other']),
      await StreamReader.open(b.url, ['pres/*']),
    ];
    closers.push(async () => {
      for (const r of readers) await r.close();
    });
    const count = async (n: ServeProcess) => (await getJson(`${n.url}/presence?topic=pres/x`)).body;
    expect(
      await poll(
        () => count(c),
        (v) => v.connections === 3,
        'presence 3',
      ),
    ).toEqual({
      topic: 'pres/x',
      connections: 3,
      users: [],
    });
    await readers[0]?.close();
    await poll(
      () => count(c),
      (v) => v.connections === 2,
      'presence after a close',
    );
  }, 30_000);

  it('lets subscribers of a node killed with -9 reconnect to another node and lose nothing', async () => {
    const [a, b, victim] = nodes as [ServeProcess, ServeProcess, ServeProcess];
    let alive = [a.url, b.url];
    let turn = 0;
    let victimAlive = true;
    // The first stream of every subscriber goes to the victim; reconnections to the survivors.
    const route = () => (victimAlive ? victim.url : (alive[turn++ % alive.length] as string));
    const subs = [
      new Subscriber(['k/a'], route),
      new Subscriber(['k/*'], route),
      new Subscriber(['k/a', 'k/b'], route),
    ];
    const wants = (s: Subscriber, topic: string) => (s === subs[0] ? topic === 'k/a' : true);
    await Promise.all(subs.map((s) => s.opened));

    // One publisher, round-robin over all three nodes until the kill, then the survivors.
    const acked: Array<{ id: string; topic: string }> = [];
    let stop = false;
    let killedAt = 0;
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        const topic = i % 2 ? 'k/a' : 'k/b';
        const targets = victimAlive ? [a.url, b.url, victim.url] : alive;
        try {
          acked.push({ id: await publish(targets[i % targets.length] as string, topic, { i }), topic });
        } catch {
          // The victim died with this publish in flight: not acknowledged, so not promised.
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    closers.push(async () => {
      stop = true;
      await publisher;
    });
    await until(() => subs.every((s) => s.events.length >= 40), 15_000);
    const presence = async () =>
      (await getJson(`${a.url}/presence?topic=k/a`)).body as { connections: number };
    await poll(presence, (v) => v.connections === 3, 'presence of the victim node');

    victimAlive = false;
    killedAt = performance.now();
    victim.proc.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    alive = [a.url, b.url];
    await until(() => subs.every((s) => s.nodes.length >= 2 && s.events.length > 0), 15_000);
    const beforeResume = subs.map((s) => s.events.length);
    await until(() => subs.every((s, i) => s.events.length > (beforeResume[i] as number)), 15_000);
    const failoverMs = performance.now() - killedAt;
    const countAfterKill = acked.length;
    await until(() => acked.length >= countAfterKill + 100, 15_000);
    stop = true;
    await publisher;
    console.log(
      `kill -9: every subscriber got events again from a surviving node within ${failoverMs.toFixed(0)} ms`,
    );

    for (const s of subs) {
      const expected = acked.filter((e) => wants(s, e.topic)).map((e) => e.id);
      await until(
        () => expected.every((id) => s.ids.includes(id)),
        15_000,
        () => {
          const missing = expected.filter((id) => !s.ids.includes(id));
          return `missing ${missing.length} of ${expected.length}: ${JSON.stringify({
            missing,
            at: missing.map((id) => expected.indexOf(id)),
            streams: s.nodes,
            lastEventIds: s.sentIds,
            got: s.ids.slice(
              Math.max(0, expected.indexOf(missing[0] as string) - 3),
              expected.indexOf(missing[0] as string) + 3,
            ),
          })}`;
        },
      );
      // Exactly once, in order; at most the one publish in flight at the kill arrives unacknowledged.
      const twice = s.ids.filter((id, i) => s.ids.indexOf(id) !== i);
      expect(twice, `delivered twice (streams: ${s.nodes.join(', ')}, Last-Event-IDs: ${s.sentIds})`).toEqual(
        [],
      );
      const ackedSet = new Set(expected);
      expect(s.ids.filter((id) => ackedSet.has(id))).toEqual(expected);
      expect(s.ids.length - expected.length).toBeLessThanOrEqual(1);
      expect(s.resets).toEqual([]);
      expect(s.nodes[0]).toBe(victim.url);
      expect(s.nodes.slice(1).every((n) => n !== victim.url)).toBe(true);
    }
    // The dead node's connections leave presence (TTL); the reconnected ones count once.
    await poll(presence, (v) => v.connections === 3, 'presence after the kill');
  }, 90_000);
});

describe.skipIf(!redisUrl)('forced logout across tidings serve nodes with JWT auth', () => {
  const SECRET = 'cluster-test-secret-0123456789-abcdefghijkl';
  const KEY = 'cluster-publisher-key-0123456789abcdef';
  const token = (claims: Record<string, unknown>) =>
    new SignJWT({ tidings: { subscribe: ['news'] }, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
  const status = async (node: ServeProcess, t: string) => {
    const abort = new AbortController();
    const res = await fetch(`${node.url}/events?topic=news&token=${t}`, { signal: abort.signal });
    const body = res.status === 200 ? undefined : ((await res.json()) as { error: { code: string } });
    abort.abort();
    return { status: res.status, code: body?.error.code };
  };

  it("refuses on node C a session revoked on node A, and closes a user's streams on every node", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-cluster-auth-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'secret'), SECRET);
    writeFileSync(join(dir, 'key'), KEY);
    const prefix = uniquePrefix('auth');
    closers.push(() => deleteRedisKeys(redisUrl as string, prefix));
    const [a, c] = await startNodes(2, redisUrl as string, prefix, [
      '--jwt-secret-file',
      join(dir, 'secret'),
      '--publisher-key-file',
      join(dir, 'key'),
    ]);
    closers.push(() => {
      for (const n of [a, c]) n?.proc.kill('SIGKILL');
    });
    const [nodeA, nodeC] = [a as ServeProcess, c as ServeProcess];
    const disconnect = async (body: unknown) => {
      const res = await fetch(`${nodeA.url}/disconnect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };

    // A session revoked through node A: its token, never seen by node C, is refused there.
    const inSession = await token({ sub: 'ann', sid: 's-1', jti: 'j-1' });
    expect(await status(nodeC, inSession)).toEqual({ status: 200, code: undefined });
    await disconnect({ session: 's-1' });
    expect(await status(nodeC, inSession)).toEqual({ status: 401, code: 'token-revoked' });

    // A user logged out through node A: the stream on node C gets force-logout and ends, and
    // that token is refused everywhere.
    const eve = await token({ sub: 'eve', jti: 'j-2' });
    const bob = await token({ sub: 'bob', jti: 'j-3' });
    const onC = await StreamReader.open(nodeC.url, ['news'], { query: { token: eve } });
    const bystander = await StreamReader.open(nodeC.url, ['news'], { query: { token: bob } });
    closers.push(async () => {
      await onC.close();
      await bystander.close();
    });
    await onC.waitFor((r) => r.of('connected').length === 1);
    await disconnect({ user: 'eve', reason: 'account-locked' });
    await onC.waitFor((r) => r.ended, 10_000);
    expect(onC.of('force-logout').map((f) => JSON.parse(f.data))).toEqual([{ reason: 'account-locked' }]);
    expect(await status(nodeA, eve)).toEqual({ status: 401, code: 'token-revoked' });
    expect(await status(nodeC, eve)).toEqual({ status: 401, code: 'token-revoked' });
    expect(bystander.ended).toBe(false);
  }, 60_000);
});

describe.skipIf(!ownRedis)('tidings serve nodes while Redis restarts', () => {
  async function setUp(persist: boolean) {
    const redis = await OwnRedis.start({ persist });
    closers.push(() => redis.destroy());
    const nodes = await startNodes(2, redis.url, uniquePrefix('restart'));
    closers.push(() => {
      for (const n of nodes) n.proc.kill('SIGKILL');
    });
    return { redis, nodes: nodes as [ServeProcess, ServeProcess] };
  }
  const health = async (n: ServeProcess) => (await getJson(`${n.url}/healthz`)).body.status;

  async function outage(redis: OwnRedis, nodes: [ServeProcess, ServeProcess], raw: StreamReader) {
    await redis.stop('SIGKILL');
    const res = await fetch(`${nodes[0].url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'r', type: 't', data: 'during' }),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toMatch(
      /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable.*Retry in a moment\.$/,
    );
    for (const n of nodes)
      await poll(
        () => health(n),
        (s) => s === 'degraded',
        'degraded',
      );
    // Open streams stay open and keep getting heartbeats.
    const beats = raw.of('heartbeat').length;
    await raw.waitFor((r) => r.of('heartbeat').length >= beats + 2, 10_000);
    expect(raw.ended).toBe(false);
    await redis.start();
    for (const n of nodes)
      await poll(
        () => health(n),
        (s) => s === 'ok',
        'ok again',
      );
  }

  it('resets subscribers when Redis comes back empty, then delivers live again', async () => {
    const { redis, nodes } = await setUp(false);
    let i = 0;
    const subs = [0, 1].map(() => new Subscriber(['r'], () => nodes[i++ % 2]?.url as string));
    await Promise.all(subs.map((s) => s.opened));
    const raw = await StreamReader.open(nodes[1].url, ['r']);
    closers.push(() => raw.close());
    const before = [await publish(nodes[0].url, 'r', 1), await publish(nodes[1].url, 'r', 2)];
    await until(() => subs.every((s) => s.events.length === 2) && raw.events.length === 2, 10_000);

    await outage(redis, nodes, raw);

    // Redis lost the history: every subscriber that holds an id hears so (reset), none silently.
    await until(() => subs.every((s) => s.resets.length === 1), 15_000);
    for (const s of subs) expect(s.resets[0]).toEqual({ reason: 'unknown-id', lastEventId: before[1] });
    const after = [await publish(nodes[1].url, 'r', 3), await publish(nodes[0].url, 'r', 4)];
    await until(() => subs.every((s) => s.events.length === 4), 10_000);
    for (const s of subs) expect(s.ids).toEqual([...before, ...after]);
  }, 60_000);

  it('keeps streams and history when Redis restarts with its data; a client that was away replays what it missed', async () => {
    const { redis, nodes } = await setUp(true);
    const live = new Subscriber(['r'], () => nodes[0].url);
    await live.opened;
    const raw = await StreamReader.open(nodes[1].url, ['r']);
    closers.push(() => raw.close());
    const first = await publish(nodes[0].url, 'r', 1);
    const away = await StreamReader.open(nodes[1].url, ['r'], { lastEventId: first });
    await away.close();
    const missed = [await publish(nodes[1].url, 'r', 2), await publish(nodes[0].url, 'r', 3)];
    await until(() => live.events.length === 3, 10_000);

    await outage(redis, nodes, raw);

    const after = await publish(nodes[1].url, 'r', 4);
    await until(() => live.events.length === 4 && raw.events.length === 4, 10_000);
    expect(live.ids).toEqual([first, ...missed, after]);
    expect(live.nodes).toHaveLength(1);
    expect(live.resets).toEqual([]);
    expect(raw.of('connected')).toHaveLength(1);
    const back = await StreamReader.open(nodes[0].url, ['r'], { lastEventId: first });
    closers.push(() => back.close());
    await back.waitForEvents(3);
    expect(back.events.map((e) => e.id)).toEqual([...missed, after]);
    expect(back.of('reset')).toEqual([]);
  }, 60_000);
});
