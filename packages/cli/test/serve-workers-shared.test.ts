import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamReader, until } from '../../server/test/helpers.js';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../../server/test/services.js';
import { type ServeProcess, serve } from './spawn-cli.js';

/**
 * `tidings serve --workers 2` is one hub to the outside: presence, metrics and the admin page
 * count the connections of both workers whichever worker answers. Every request below goes on a
 * connection of its own, so node:cluster's round robin spreads them over the workers.
 */
const redisUrl = await needRedis(import.meta.url);
const TOKEN = 'admin-token-for-workers';
/** The hub of the running suite; each suite starts its own. */
let hub: ServeProcess;
/** Open streams by the node id of the worker holding them. */
const open = new Map<string, StreamReader[]>();
const idOf = new Map<StreamReader, string>();
const topicOf = new Map<StreamReader, string>();
let opened = 0;

/** GET or POST on a fresh connection (no keep-alive), JSON or text. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;
function call(
  path: string,
  opts: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; text: string; json: () => Json }> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      new URL(path, hub.url),
      {
        method: opts.method ?? 'GET',
        agent: false,
        headers: {
          connection: 'close',
          ...(opts.token !== undefined && { authorization: `Bearer ${opts.token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The worker node id of a connection id (`sw-1-3` → `sw-1`). */
const nodeOf = (connectionId: string) => connectionId.replace(/-[^-]+$/, '');

/** Opens streams on `topic` until each of the two workers holds at least `each` (on any topic). */
async function openOnBothWorkers(topic: string, each: number): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const counts = [...open.values()].map((l) => l.length);
    if (open.size === 2 && counts.every((n) => n >= each)) return;
    const r = await StreamReader.open(hub.url, [topic]);
    topicOf.set(r, topic);
    await r.waitFor((x) => x.of('connected').length === 1, 15_000);
    const { connectionId } = JSON.parse(r.of('connected')[0]?.data ?? '{}') as { connectionId: string };
    opened++;
    idOf.set(r, connectionId);
    const node = nodeOf(connectionId);
    open.set(node, [...(open.get(node) ?? []), r]);
  }
  throw new Error(`streams did not reach both workers: ${[...open.keys()].join(', ')}`);
}

const openCount = (topic?: string) =>
  [...open.values()].flat().filter((r) => topic === undefined || topicOf.get(r) === topic).length;

async function closeOneOn(node: string): Promise<void> {
  const r = open.get(node)?.pop();
  await r?.close();
}

/** Asks `ask` until it returns `want` (other workers may not have reported yet), then four more times. */
async function settlesAt<T>(ask: () => Promise<T>, want: T): Promise<void> {
  let got: T | undefined;
  const end = Date.now() + 15_000;
  do {
    got = await ask();
    if (JSON.stringify(got) === JSON.stringify(want)) break;
    await new Promise((r) => setTimeout(r, 25));
  } while (Date.now() < end);
  expect(got).toEqual(want);
  // On fresh connections, round robin alternates workers: each must say the same.
  for (let i = 0; i < 4; i++) expect(await ask()).toEqual(want);
}

const presence = async (topic: string) => (await call(`/presence?topic=${topic}`)).json();

/** The value of one sample line of the Prometheus text, and how many lines carry that series. */
function sample(text: string, series: string): { value: number | undefined; lines: number } {
  const lines = text.split('\n').filter((l) => l.startsWith(`${series} `));
  return {
    value: lines[0] === undefined ? undefined : Number(lines[0].slice(series.length + 1)),
    lines: lines.length,
  };
}

/** The whole-hub checks on a hub started with `args`, whose workers are `<node>-1` and `<node>-2`. */
function oneHubToTheOutside(node: string, args: () => string[], cleanup?: () => Promise<void>) {
  beforeAll(async () => {
    open.clear();
    idOf.clear();
    topicOf.clear();
    opened = 0;
    hub = await serve(['--workers', '2', '--node-id', node, '--admin-token', TOKEN, ...args()]);
  });
  afterAll(async () => {
    for (const r of [...open.values()].flat()) await r.close();
    hub?.proc.kill('SIGTERM');
    await hub?.exited;
    await cleanup?.();
  });

  it('counts the subscribers of every worker in /presence, whichever worker answers', async () => {
    await openOnBothWorkers('room/a', 2);
    const n = openCount('room/a');
    expect(n).toBe(openCount());
    await settlesAt(() => presence('room/a'), { topic: 'room/a', connections: n, users: [] });
    await settlesAt(() => presence('room/b'), { topic: 'room/b', connections: 0, users: [] });
    const [w1, w2] = [...open.keys()] as [string, string];
    await closeOneOn(w1);
    await closeOneOn(w2);
    await settlesAt(() => presence('room/a'), { topic: 'room/a', connections: n - 2, users: [] });
  }, 60_000);

  it('sums the metrics of every worker in /metrics (one series per label set)', async () => {
    await openOnBothWorkers('room/m', 2);
    const scrape = async () => {
      const r = await call('/metrics');
      expect(r.status).toBe(200);
      return {
        open: sample(r.text, 'tidings_connections_open{transport="sse"}'),
        opened: sample(r.text, 'tidings_connections_opened_total{transport="sse"}'),
        published: sample(r.text, 'tidings_events_published_total{topic="metrics",type="m"}'),
      };
    };
    // Publishes on connections of their own land on both workers; their counts add up.
    for (let i = 0; i < 6; i++) {
      const r = await call('/publish', {
        method: 'POST',
        body: { topic: 'metrics/x', type: 'm', data: { i } },
      });
      expect(r.status).toBe(201);
    }
    await settlesAt(scrape, {
      open: { value: openCount(), lines: 1 },
      opened: { value: opened, lines: 1 },
      published: { value: 6, lines: 1 },
    });
  }, 60_000);

  it('lists the connections of every worker in /admin/stats and disconnects one held by either worker', async () => {
    await openOnBothWorkers('room/s', 2);
    const stats = async () => {
      const r = await call('/admin/stats', { token: TOKEN });
      expect(r.status).toBe(200);
      const s = r.json();
      return {
        workers: s.workers,
        open: s.connections.open,
        byTransport: s.connections.byTransport,
        ids: (s.connections.list as { id: string }[]).map((c) => c.id).sort(),
      };
    };
    const expected = () => ({
      workers: [`${node}-1`, `${node}-2`],
      open: openCount(),
      byTransport: { sse: openCount() },
      ids: [...idOf.entries()]
        .filter(([r]) => [...open.values()].some((l) => l.includes(r)))
        .map(([, id]) => id)
        .sort(),
    });
    await settlesAt(stats, expected());
    // One connection of each worker: whichever worker takes the POST, one of them is the other's.
    for (const w of [`${node}-1`, `${node}-2`]) {
      const r = open.get(w)?.pop() as StreamReader;
      const id = idOf.get(r) as string;
      const res = await call('/admin/disconnect', { method: 'POST', token: TOKEN, body: { connection: id } });
      expect(res.status).toBe(200);
      expect(res.json().disconnected).toEqual([id]);
      await r.waitFor((x) => x.ended, 15_000);
    }
    await settlesAt(stats, expected());
    const gone = await call('/admin/disconnect', {
      method: 'POST',
      token: TOKEN,
      body: { connection: 'sw-1-zzz' },
    });
    expect(gone.status).toBe(404);
    expect(gone.json().error.message).toBe(
      'No connection "sw-1-zzz" is open on this hub; it may have closed already.',
    );
  }, 60_000);

  it("drops a dead worker's subscribers from presence, metrics and the admin stats", async () => {
    await openOnBothWorkers('room/a', 2);
    const pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(hub.proc.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((p) => p > 0);
    expect(pids.length).toBe(2);
    process.kill(pids[0] as number, 'SIGKILL');
    // The dead worker's streams end; the other worker's stay.
    const all = [...open.entries()];
    await until(() => all.some(([, l]) => l.length > 0 && l.every((r) => r.ended)), 15_000);
    const [deadNode] = all.find(([, l]) => l.length > 0 && l.every((r) => r.ended)) as [
      string,
      StreamReader[],
    ];
    open.delete(deadNode);
    expect([...open.values()].flat().every((r) => !r.ended)).toBe(true);
    expect(openCount('room/a')).toBeGreaterThan(0);
    await settlesAt(() => presence('room/a'), {
      topic: 'room/a',
      connections: openCount('room/a'),
      users: [],
    });
    // The replacement worker answers too, with no connections of its own yet.
    await settlesAt(
      async () => {
        const m = await call('/metrics');
        const s = (await call('/admin/stats', { token: TOKEN })).json();
        return {
          status: m.status,
          open: sample(m.text, 'tidings_connections_open{transport="sse"}').value,
          admin: s.connections.open,
          workers: s.workers.length,
        };
      },
      { status: 200, open: openCount(), admin: openCount(), workers: 2 },
    );
    // Its steps may take 15 s each to settle (and a question to a worker being replaced 5 s):
    // more than 60 s in all on a loaded machine, where this once timed out mid-way.
  }, 120_000);
}

describe('tidings serve --workers 2 (history in the primary): one hub to the outside', () => {
  oneHubToTheOutside('sw', () => ['--memory']);
});

describe.skipIf(!redisUrl)('tidings serve --workers 2 --redis: one hub to the outside', () => {
  const prefix = uniquePrefix();
  // A dead worker's connections leave Redis presence when their TTL runs out.
  oneHubToTheOutside(
    'rw',
    () => ['--redis', redisUrl as string, '--redis-prefix', prefix, '--presence-ttl', '1s'],
    () => deleteRedisKeys(redisUrl as string, prefix),
  );
});
