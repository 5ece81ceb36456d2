import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/engines/redis/index.js';
import { type HistoryStore, MemoryStore, type NewEvent, SqliteStore } from '../../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { KEYS, MercureReader } from '../mercure-helpers.js';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../services.js';
import { WsPeer } from '../ws-helpers.js';
import { Innocent } from './innocent.js';

/**
 * Hostile readers of history (issue 17, items 2 and 4): resumes that would fill the heap with
 * cached pages, and wildcard subscriptions that would walk every topic ever used while everyone
 * else waits. Each case runs over real sockets against a real hub and checks that a bystander
 * still gets every acknowledged event.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after two full collections, in MiB. */
function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

/** How long the event loop was held while a run went on, in ms. */
interface Stall {
  /** The longest single delay. */
  max: number;
  /** The 90th percentile delay. */
  p90: number;
}

/**
 * Measures event-loop delay while `run` runs, after one untimed warm-up call of it (first use
 * of a code path compiles and loads modules, which is not what is measured here).
 */
async function stallDuring(run: () => Promise<void>, warmUp?: () => Promise<void>): Promise<Stall> {
  await warmUp?.();
  // Start from a collected heap, so a major collection the earlier cases made due is not
  // counted against the requests measured here.
  heapMiB();
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  try {
    await run();
  } finally {
    h.disable();
  }
  return { max: h.max / 1e6, p90: h.percentile(90) / 1e6 };
}

/**
 * Generous bounds, for a machine shared with other test runs (a load of 8 per core is common
 * here, and a descheduled process sees every timer late). Before the fix, every wildcard
 * subscribe on 100,000 topics held the loop for 150 to 600 ms by itself, one block per request
 * among a handful of short delays, so the 90th percentile was that block; now it is the noise.
 */
function expectFreeLoop(s: Stall): void {
  const seen = `the event loop was held for up to ${s.max.toFixed(0)} ms (p90 ${s.p90.toFixed(0)} ms)`;
  expect(s.p90, seen).toBeLessThan(100);
  expect(s.max, seen).toBeLessThan(1000);
}

const dirs: string[] = [];
let hubs: RunningHub[] = [];
const readers: StreamReader[] = [];
const peers: WsPeer[] = [];
const innocents: Innocent[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const p of peers.splice(0)) p.close();
  for (const i of innocents.splice(0)) await i.close();
});
/** Closes the hubs of the describe block that just finished, so their heaps do not add up. */
async function closeHubs(): Promise<void> {
  const open = hubs;
  hubs = [];
  for (const h of open) await h.close();
}
afterAll(async () => {
  await closeHubs();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tidings-store-reads-'));
  dirs.push(d);
  return d;
}

async function hubOn(store: HistoryStore, opts: { maxBufferBytes?: number } = {}): Promise<RunningHub> {
  const h = await startHub({ store, ...opts });
  hubs.push(h);
  return h;
}

async function innocent(h: RunningHub): Promise<Innocent> {
  const i = await Innocent.open(h.url);
  innocents.push(i);
  await i.publish();
  return i;
}

/** Warms up the SSE path with a plain subscription (not a wildcard). */
async function warmSse(base: string): Promise<void> {
  expect(await subscribeOnce(base, ['warm/up'])).toBe(200);
}

/** Warms up the WebSocket path with a plain subscription. */
async function warmWs(base: string): Promise<void> {
  const p = await WsPeer.open(base, ['warm/up']);
  p.close();
}

async function open(...args: Parameters<typeof StreamReader.open>): Promise<StreamReader> {
  const r = await StreamReader.open(...args);
  readers.push(r);
  return r;
}

function ev(topic: string, dataJson = '1', ts = Date.now()): NewEvent {
  return { topic, type: 'fill', ts, dataJson };
}

/** `count` single-event topics `room<i>/y`, with `room<i>/x` as well for every 1,000th. */
async function fillTopics(store: HistoryStore, count: number): Promise<void> {
  for (let i = 0; i < count; i += 2000) {
    const batch: NewEvent[] = [];
    for (let j = i; j < Math.min(count, i + 2000); j++) {
      batch.push(ev(`room${j}/y`));
      if (j % 1000 === 0) batch.push(ev(`room${j}/x`, JSON.stringify(j)));
    }
    await store.append(batch);
  }
}

/** Opens a stream, waits for its `connected` frame, closes it; returns the status. */
async function subscribeOnce(base: string, topics: string[], lastEventId?: string): Promise<number> {
  const r = await StreamReader.open(base, topics, lastEventId === undefined ? {} : { lastEventId });
  try {
    if (r.response.status === 200) await r.waitFor((x) => x.of('connected').length > 0, 10_000);
    return r.response.status;
  } finally {
    await r.close();
  }
}

describe('attack: resume storms on a topic of 32 KiB events (SQLite store)', () => {
  let h: RunningHub;
  let store: SqliteStore;
  const ids: string[] = [];
  const big = JSON.stringify({ blob: 'x'.repeat(32 * 1024) });

  beforeAll(async () => {
    store = new SqliteStore({ path: join(tempDir(), 'big.db') });
    for (let i = 0; i < 600; i++) {
      const [r] = await store.append([{ topic: 'big/feed', type: 'blob', ts: Date.now(), dataJson: big }]);
      ids.push(r?.event.id as string);
    }
    // A whole 500-event page (16 MiB) fits the buffer: how a replay is paced is issue 17 item 3,
    // not what these cases attack.
    h = await hubOn(store, { maxBufferBytes: 64 * 1024 * 1024 });
  }, 60_000);
  afterAll(closeHubs);

  /** Waits until only the bystander's stream is left, so closed streams' buffers are gone. */
  async function settled(): Promise<void> {
    await until(() => h.hub.connections().length <= 1, 10_000);
  }

  it('resuming from 45 distinct ids over SSE holds the heap under the read-cache budget', async () => {
    const bystander = await innocent(h);
    const before = heapMiB();
    for (let i = 0; i < 45; i++) {
      // Not kept in `readers`: what this client received must not count as the hub's heap.
      const r = await StreamReader.open(h.url, ['big/feed'], { lastEventId: ids[i] });
      try {
        expect(r.response.status).toBe(200);
        await r.waitForEvents(1, 10_000);
        expect(r.events[0]?.id).toBe(ids[i + 1]);
      } finally {
        await r.close();
      }
    }
    await settled();
    const grown = heapMiB() - before;
    // Before: about 16 MiB per resume kept until the next commit (700 MiB here). Now the
    // remembered pages stay within the 32 MiB budget, whatever the number of distinct ids.
    expect(grown, `the heap grew by ${grown.toFixed(0)} MiB`).toBeLessThan(64);
    await bystander.assertUnharmed();
  }, 120_000);

  it('resuming from 45 distinct ids over WebSocket holds the heap too', async () => {
    const bystander = await innocent(h);
    const before = heapMiB();
    for (let i = 100; i < 145; i++) {
      const p = WsPeer.connect(h.url, ['big/feed'], { query: { lastEventId: ids[i] as string } });
      try {
        await p.waitForEvents(1, 10_000);
        expect(p.events[0]?.id).toBe(ids[i + 1]);
        expect(p.closed).toBeUndefined();
      } finally {
        p.close();
        p.messages.length = 0;
      }
    }
    await settled();
    const grown = heapMiB() - before;
    expect(grown, `the heap grew by ${grown.toFixed(0)} MiB`).toBeLessThan(64);
    await bystander.assertUnharmed();
  }, 120_000);

  it('200 readers resuming from the same id at once cost one store read, and each gets every event', async () => {
    const bystander = await innocent(h);
    const reads = { n: 0 };
    const s = store as unknown as Record<string, (...a: unknown[]) => unknown>;
    const original = s.readByIndex as (...a: unknown[]) => unknown;
    s.readByIndex = function (this: unknown, ...a: unknown[]) {
      reads.n++;
      return original.apply(this, a);
    };
    try {
      const from = ids[580] as string;
      const storm = await Promise.all(
        Array.from({ length: 200 }, () => open(h.url, ['big/feed'], { lastEventId: from })),
      );
      for (const r of storm) expect(r.response.status).toBe(200);
      for (const r of storm) {
        const got = await r.waitForEvents(19, 20_000);
        expect(got.map((e) => e.id)).toEqual(ids.slice(581));
      }
      // One read for the page; a second only if a publish landed in between (none here).
      expect(reads.n).toBe(1);
    } finally {
      s.readByIndex = original;
    }
    for (const r of readers.splice(0)) await r.close();
    await bystander.assertUnharmed();
  }, 120_000);

  it('a resume storm while a publisher publishes: every reader gets every acknowledged event once, in order', async () => {
    const bystander = await innocent(h);
    const acked: string[] = [];
    const from = ids[590] as string;
    const storm: Promise<StreamReader>[] = [];
    for (let i = 0; i < 20; i++) {
      storm.push(open(h.url, ['big/feed'], { lastEventId: from }));
      const res = await post(h.url, { topic: 'big/feed', type: 'more', data: { i } });
      expect(res.status).toBe(201);
      acked.push(res.body.id as string);
    }
    const expected = [...ids.slice(591), ...acked];
    for (const r of await Promise.all(storm)) {
      expect(r.response.status).toBe(200);
      const got = await r.waitForEvents(expected.length, 20_000);
      expect(got.map((e) => e.id)).toEqual(expected);
    }
    await bystander.assertUnharmed();
  }, 120_000);
});

describe('attack: wildcard subscriptions over 100,000 topics (SQLite store)', () => {
  let h: RunningHub;
  let first: string;

  beforeAll(async () => {
    const store = new SqliteStore({ path: join(tempDir(), 'topics.db') });
    const [r] = await store.append([ev('start/here')]);
    first = r?.event.id as string;
    await fillTopics(store, 100_000);
    h = await hubOn(store);
  }, 120_000);
  afterAll(closeHubs);

  it('"**" subscribes in a loop keep the event loop free for an innocent subscriber', async () => {
    const bystander = await innocent(h);
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 30; i++) {
          expect(await subscribeOnce(h.url, ['**'])).toBe(200);
          expect(await bystander.publish()).toBe(201);
        }
      },
      () => warmSse(h.url),
    );
    expectFreeLoop(stall);
    await bystander.assertUnharmed();
  }, 120_000);

  it('"*/x" subscribes in a loop keep the event loop free too', async () => {
    const bystander = await innocent(h);
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 30; i++) {
          expect(await subscribeOnce(h.url, ['*/x', '*/y'])).toBe(200);
          expect(await bystander.publish()).toBe(201);
        }
      },
      () => warmSse(h.url),
    );
    expectFreeLoop(stall);
    await bystander.assertUnharmed();
  }, 120_000);

  it('a "*/x" resume from the start of a 100,000-topic log replays only the matching events, in order, in chunks', async () => {
    const bystander = await innocent(h);
    let got: number[] = [];
    const stall = await stallDuring(
      async () => {
        const r = await open(h.url, ['*/x'], { lastEventId: first });
        expect(r.response.status).toBe(200);
        await r.waitForEvents(100, 30_000);
        got = r.events.map((e) => e.data as number);
        expect(r.of('reset')).toHaveLength(0);
      },
      () => warmSse(h.url),
    );
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i * 1000));
    expectFreeLoop(stall);
    await bystander.assertUnharmed();
  }, 120_000);

  it('"**/x" (a "**" before the last segment) gets 400 before any read', async () => {
    const bystander = await innocent(h);
    const res = await fetch(`${h.url}/events?topic=${encodeURIComponent('**/x')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/may only end a pattern/);
    await bystander.assertUnharmed();
  });

  it('a 32-segment wildcard pattern is served without holding the loop; a 33-segment one gets 400', async () => {
    const bystander = await innocent(h);
    const deep = [...Array(31).fill('*'), '**'].join('/');
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 20; i++) expect(await subscribeOnce(h.url, [deep])).toBe(200);
      },
      () => warmSse(h.url),
    );
    expectFreeLoop(stall);
    const tooDeep = await fetch(`${h.url}/events?topic=${[...Array(32).fill('*'), '**'].join('/')}`);
    expect(tooDeep.status).toBe(400);
    expect(await tooDeep.text()).toMatch(/33 segments; the limit is 32/);
    await bystander.assertUnharmed();
  }, 120_000);

  it('"**" over WebSocket in a loop keeps the event loop free', async () => {
    const bystander = await innocent(h);
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 30; i++) {
          const p = await WsPeer.open(h.url, ['**']);
          peers.push(p);
          expect(p.connected?.op).toBe('connected');
          p.close();
          expect(await bystander.publish()).toBe(201);
        }
      },
      () => warmWs(h.url),
    );
    expectFreeLoop(stall);
    await bystander.assertUnharmed();
  }, 120_000);

  it('an unknown Last-Event-ID on "**" gets reset unknown-id at once', async () => {
    const bystander = await innocent(h);
    const r = await open(h.url, ['**'], { lastEventId: 'never-issued' });
    expect(r.response.status).toBe(200);
    await r.waitFor((x) => x.of('reset').length > 0);
    expect(JSON.parse(r.of('reset')[0]?.data as string)).toEqual({
      reason: 'unknown-id',
      lastEventId: 'never-issued',
    });
    await bystander.assertUnharmed();
  });
});

describe('attack: Mercure "*" subscriptions over 100,000 topics (SQLite store)', () => {
  afterAll(closeHubs);

  it('anonymous "*" subscribes, fresh and resuming, keep the event loop free', async () => {
    const store = new SqliteStore({ path: join(tempDir(), 'mercure.db') });
    const [r] = await store.append([ev('start/here')]);
    await fillTopics(store, 100_000);
    const h = await startHub({ store, mercure: { ...KEYS, anonymous: true } });
    hubs.push(h);
    const bystander = await innocent(h);
    const once = async (lastEventID?: string) => {
      const m = await MercureReader.open(h.url, ['*'], lastEventID === undefined ? {} : { lastEventID });
      try {
        expect(m.response.status).toBe(200);
      } finally {
        await m.close();
      }
    };
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 20; i++) {
          // Resuming makes the hub probe history for truncation over the selectors' hub scope ("**").
          await once(i % 2 ? (r?.event.id as string) : undefined);
          expect(await bystander.publish()).toBe(201);
        }
      },
      () => once(),
    );
    expectFreeLoop(stall);
    await bystander.assertUnharmed();
  }, 120_000);
});

describe('attack: one-shot topics are pruned once their history expires', () => {
  afterEach(closeHubs);
  for (const kind of ['sqlite', 'memory'] as const) {
    it(`${kind}: 2,000 topics published once then expired leave no rows, and a "**" reader from before them gets reset`, async () => {
      let now = Date.now();
      const clock = () => now;
      const retention = { maxAgeMs: 3_600_000 };
      const store =
        kind === 'sqlite'
          ? new SqliteStore({ path: join(tempDir(), 'prune.db'), retention, now: clock })
          : new MemoryStore({ retention, now: clock });
      const h = await hubOn(store);
      const before = await open(h.url, ['**']);
      await before.waitFor((x) => x.of('connected').length > 0);
      const startId = JSON.parse(before.of('connected')[0]?.data as string).lastEventId as string;
      for (let i = 0; i < 2000; i += 100) {
        const batch = Array.from({ length: 100 }, (_, j) => ({ topic: `once/${i + j}`, type: 'm', data: j }));
        expect((await post(h.url, batch)).status).toBe(201);
      }
      expect(await store.countTopics()).toBe(2000);
      now += 2 * 3_600_000;
      await store.prune();
      expect(await store.countTopics()).toBe(0);
      // The one who was away lost those events, and is told so.
      const late = await open(h.url, ['**'], { lastEventId: startId });
      expect(late.response.status).toBe(200);
      await late.waitFor((x) => x.of('reset').length > 0);
      expect(JSON.parse(late.of('reset')[0]?.data as string).reason).toBe('history-truncated');
      // The one who stayed got all 2,000 live.
      await before.waitForEvents(2000, 10_000);
      const bystander = await innocent(h);
      await bystander.assertUnharmed();
      expect(await store.countTopics()).toBe(1);
    }, 60_000);
  }
});

describe('attack: wildcard subscriptions over 100,000 topics (memory store)', () => {
  afterAll(closeHubs);
  it('"**" and "*/x" subscribes in a loop keep the event loop free', async () => {
    const store = new MemoryStore();
    await fillTopics(store, 100_000);
    const h = await hubOn(store);
    const bystander = await innocent(h);
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 20; i++) {
          expect(await subscribeOnce(h.url, [i % 2 ? '**' : '*/x'])).toBe(200);
          expect(await bystander.publish()).toBe(201);
        }
      },
      () => warmSse(h.url),
    );
    expectFreeLoop(stall);
    await bystander.assertUnharmed();
  }, 120_000);
});

const redisUrl = await needRedis(import.meta.url);

describe.skipIf(!redisUrl)('attack: wildcard subscriptions over 20,000 topics (Redis store)', () => {
  const prefix = uniquePrefix('store-reads');
  afterAll(async () => {
    await closeHubs();
    if (redisUrl) await deleteRedisKeys(redisUrl, prefix);
  });

  it('"**" subscribes in a loop, then a "*/x" resume, read only the topics active since the resume point', async () => {
    const store = new RedisStore({ redis: redisUrl as string, keyPrefix: prefix });
    const [r] = await store.append([ev('start/here')]);
    const first = r?.event.id as string;
    await fillTopics(store, 20_000);
    const h = await hubOn(store);
    const bystander = await innocent(h);
    const stall = await stallDuring(
      async () => {
        for (let i = 0; i < 20; i++) {
          expect(await subscribeOnce(h.url, ['**'])).toBe(200);
          expect(await bystander.publish()).toBe(201);
        }
      },
      () => warmSse(h.url),
    );
    expectFreeLoop(stall);
    const resumed = await open(h.url, ['*/x'], { lastEventId: first });
    expect(resumed.response.status).toBe(200);
    await resumed.waitForEvents(20, 20_000);
    expect(resumed.events.map((e) => e.data)).toEqual(Array.from({ length: 20 }, (_, i) => i * 1000));
    await bystander.assertUnharmed();
  }, 120_000);
});
