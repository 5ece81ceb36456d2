import { afterEach, describe, expect, it } from 'vitest';
import {
  type Hub,
  type HubOptions,
  type PublishResult,
  REPLAY_HIGH_WATER,
  sqliteStore,
} from '../../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { KEYS, mercureToken } from '../mercure-helpers.js';
import { WsPeer } from '../ws-helpers.js';
import { Innocent } from './innocent.js';
import { RawStream, type ReadRate, socketOf, throttleWebSocket } from './slow-readers.js';

/**
 * Replays of large backlogs and the slow-consumer rule, attacked over real sockets. Readers read
 * at a chosen pace (raw sockets paused and resumed, `ws` sockets throttled); every case checks
 * what each reader got against the ledger of acknowledged publishes (exactly once, in order),
 * and that a bystander on the same hub lost nothing.
 *
 * The hub runs with a small `maxBufferBytes` (64 KiB: hard cap 256 KiB) and a short grace
 * period (400 ms: a sweep every 100 ms), so each case takes seconds.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMIT = 64 * KiB;
const GRACE = 400;
const SWEEP = GRACE / 4;
/** One event's payload: 32 KiB with its envelope. */
const BLOB = 'x'.repeat(32 * KiB - 64);
/** The most a replay leaves queued: its high-water mark plus one 32 KiB frame (and a heartbeat). */
const REPLAY_QUEUE = REPLAY_HIGH_WATER + 33 * KiB;
/** Slow enough that a page (1 MiB) takes 125 ms to leave, fast enough for 18 MiB in a few s. */
const SLOW: ReadRate = 8 * MiB;

interface Closed {
  id: string;
  reason: string;
  at: number;
}

const running: RunningHub[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  for (const h of running.splice(0)) await h.close();
});

/** A hub with the small limits above, recording every close, plus queue sampling. */
async function hub(o: HubOptions = {}) {
  const closes: Closed[] = [];
  const h = await startHub({
    maxBufferBytes: LIMIT,
    slowConsumerGraceMs: GRACE,
    ...o,
    observers: [
      { connectionClosed: (c, reason) => closes.push({ id: c.id, reason, at: performance.now() }) },
    ],
  });
  running.push(h);
  const queues = sampleQueues(h.hub, LIMIT);
  return { ...h, closes, queues };
}

/**
 * Samples every connection's queue every few ms: the largest seen, and when each connection's
 * queue was first seen above `limit`.
 */
function sampleQueues(hub: Hub, limit: number) {
  const firstOver = new Map<string, number>();
  const firstOverCap = new Map<string, number>();
  const largest = new Map<string, number>();
  const timer = setInterval(() => {
    for (const c of hub.connections()) {
      const b = c.bufferedBytes;
      if (b > (largest.get(c.id) ?? 0)) largest.set(c.id, b);
      if (b > limit && !firstOver.has(c.id)) firstOver.set(c.id, performance.now());
      if (b > 4 * limit && !firstOverCap.has(c.id)) firstOverCap.set(c.id, performance.now());
    }
  }, 2);
  cleanups.push(() => clearInterval(timer));
  return {
    firstOver,
    firstOverCap,
    /** The largest queue seen on any connection. */
    max: () => Math.max(0, ...largest.values()),
  };
}

/** Publishes `n` events of 32 KiB on `topic` (16 per call); returns their ids in order. */
async function backlog(h: Hub, topic: string, n: number, id?: (i: number) => string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 16) {
    const batch = Array.from({ length: Math.min(16, n - i) }, (_, k) => ({
      topic,
      type: 'blob',
      data: { i: i + k, blob: BLOB },
      ...(id && { id: id(i + k) }),
    }));
    const results: PublishResult[] = await h.publish(batch);
    ids.push(...results.map((r) => r.id));
  }
  return ids;
}

/** An event to resume after: published before the backlog. */
async function mark(h: Hub, topic: string): Promise<string> {
  return (await h.publish({ topic, type: 'mark', data: {} })).id;
}

/** 18 MiB of 32 KiB events. */
const EIGHTEEN_MIB = (18 * MiB) / (32 * KiB);

function wsIds(p: WsPeer): string[] {
  return p.events.map((e) => e.id as string);
}

describe('large backlogs resume over every transport', () => {
  it('an 18 MiB backlog of 32 KiB events resumed over SSE by a reader reading in small steps arrives whole, once, in order', async () => {
    const h = await hub();
    const innocent = await Innocent.open(h.url);
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', EIGHTEEN_MIB);
    const r = await RawStream.events(h.url, ['big'], { lastEventId: from, rate: SLOW });
    cleanups.push(() => r.close());
    await r.waitForIds(ids.length, 40_000);
    expect(r.status).toBe(200);
    expect(r.ids()).toEqual(ids);
    expect(h.closes).toEqual([]);
    // Paced by the socket: never a page at once, so far under the 256 KiB hard cap.
    expect(h.queues.max()).toBeLessThanOrEqual(REPLAY_QUEUE);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 60_000);

  it('an 18 MiB backlog of 32 KiB events resumed over WebSocket by a throttled reader arrives whole, once, in order', async () => {
    const h = await hub();
    const innocent = await Innocent.open(h.url);
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', EIGHTEEN_MIB);
    const p = WsPeer.connect(h.url, ['big'], { query: { lastEventId: from } });
    cleanups.push(() => p.close());
    throttleWebSocket(p.ws, () => SLOW);
    await p.waitForEvents(ids.length, 40_000);
    expect(wsIds(p)).toEqual(ids);
    expect(p.closed).toBeUndefined();
    expect(h.closes).toEqual([]);
    expect(h.queues.max()).toBeLessThanOrEqual(REPLAY_QUEUE);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 60_000);

  it('an 18 MiB backlog of 32 KiB events resumed over Mercure by a reader reading in small steps arrives whole, once, in order', async () => {
    const h = await hub({ mercure: { ...KEYS } });
    const innocent = await Innocent.open(h.url);
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', EIGHTEEN_MIB);
    const token = await mercureToken({ subscribe: ['*'] });
    const r = await RawStream.open(
      h.url,
      `/.well-known/mercure?topic=big&lastEventID=${encodeURIComponent(from)}`,
      {
        headers: { Authorization: `Bearer ${token}` },
        rate: SLOW,
      },
    );
    cleanups.push(() => r.close());
    await r.waitForIds(ids.length, 40_000);
    expect(r.status).toBe(200);
    expect(r.ids()).toEqual(ids);
    expect(h.closes).toEqual([]);
    expect(h.queues.max()).toBeLessThanOrEqual(REPLAY_QUEUE);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 60_000);

  it('ten readers resuming one 6 MiB backlog at once over SSE, WebSocket and Mercure all finish', async () => {
    const h = await hub({ mercure: { ...KEYS } });
    const innocent = await Innocent.open(h.url);
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', 192);
    const token = await mercureToken({ subscribe: ['*'] });
    const sse = await Promise.all(
      [1, 2, 3, 4].map(() => RawStream.events(h.url, ['big'], { lastEventId: from, rate: 4 * MiB })),
    );
    const mercure = await Promise.all(
      [1, 2].map(() =>
        RawStream.open(h.url, `/.well-known/mercure?topic=big&lastEventID=${encodeURIComponent(from)}`, {
          headers: { Authorization: `Bearer ${token}` },
          rate: 4 * MiB,
        }),
      ),
    );
    const ws = [1, 2, 3, 4].map(() => WsPeer.connect(h.url, ['big'], { query: { lastEventId: from } }));
    for (const p of ws) throttleWebSocket(p.ws, () => 4 * MiB);
    cleanups.push(() => {
      for (const r of [...sse, ...mercure]) r.close();
      for (const p of ws) p.close();
    });
    for (const r of [...sse, ...mercure]) {
      await r.waitForIds(ids.length, 40_000).catch((e) => {
        throw new Error(`${e}; closes ${JSON.stringify(h.closes)}`);
      });
      expect(r.ids()).toEqual(ids);
    }
    for (const p of ws) {
      await p.waitForEvents(ids.length, 40_000);
      expect(wsIds(p)).toEqual(ids);
    }
    expect(h.closes).toEqual([]);
    expect(h.queues.max()).toBeLessThanOrEqual(REPLAY_QUEUE);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 90_000);
});

describe('resume from every kind of position, paced by a slow reader', () => {
  it('resumes after a publisher-supplied id in the middle of a 4 MiB backlog', async () => {
    const h = await hub();
    const ids = await backlog(h.hub, 'big', 128, (i) => `order-${i}`);
    expect(ids[40]).toBe('order-40');
    const r = await RawStream.events(h.url, ['big'], { lastEventId: 'order-40', rate: SLOW });
    cleanups.push(() => r.close());
    await r.waitForIds(ids.length - 41, 20_000);
    expect(r.ids()).toEqual(ids.slice(41));
    expect(h.closes).toEqual([]);
  }, 30_000);

  it('resumes from the id a fresh stream was given in `connected`, before any event existed', async () => {
    const h = await hub();
    const fresh = await RawStream.events(h.url, ['big']);
    await until(() => fresh.connected() !== undefined);
    const given = fresh.connected()?.lastEventId as string;
    fresh.close();
    await until(() => h.hub.connections().length === 0);
    const ids = await backlog(h.hub, 'big', 128);
    const r = await RawStream.events(h.url, ['big'], { lastEventId: given, rate: SLOW });
    cleanups.push(() => r.close());
    await r.waitForIds(ids.length, 20_000);
    expect(r.ids()).toEqual(ids);
    expect(h.closes.map((c) => c.reason)).toEqual(['client']);
  }, 30_000);

  it('replays all retained history for Mercure lastEventID=earliest', async () => {
    const h = await hub({ mercure: { ...KEYS } });
    const ids = await backlog(h.hub, 'big', 128);
    const token = await mercureToken({ subscribe: ['*'] });
    const r = await RawStream.open(h.url, '/.well-known/mercure?topic=big&lastEventID=earliest', {
      headers: { Authorization: `Bearer ${token}` },
      rate: SLOW,
    });
    cleanups.push(() => r.close());
    await r.waitForIds(ids.length, 20_000);
    expect(r.ids()).toEqual(ids);
    expect(h.closes).toEqual([]);
  }, 30_000);

  it('replays a WebSocket `subscribe` with lastEventId on a live connection while another topic stays live', async () => {
    const h = await hub();
    const p = await WsPeer.open(h.url, ['small']);
    cleanups.push(() => p.close());
    throttleWebSocket(p.ws, () => SLOW);
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', 128);
    const ack = await p.request({ op: 'subscribe', topics: ['big'], lastEventId: from }, 10_000);
    expect(ack.op).toBe('ack');
    // Live events of the other topic keep flowing during the replay.
    const small: string[] = [];
    for (let i = 0; i < 20; i++)
      small.push((await h.hub.publish({ topic: 'small', type: 't', data: { i } })).id);
    await p.waitForEvents(ids.length + small.length, 20_000);
    const got = wsIds(p);
    expect(got.filter((id) => ids.includes(id))).toEqual(ids);
    expect(got.filter((id) => small.includes(id))).toEqual(small);
    expect(got.length).toBe(ids.length + small.length);
    expect(h.closes).toEqual([]);
  }, 30_000);

  it('eight WebSocket subscribes with lastEventId waiting their turn share one held-bytes bound and lose nothing', async () => {
    // A longer grace here: live subscriptions of this connection are judged while the others
    // replay, and a reader on loopback shows progress in kernel steps of about a megabyte.
    const h = await hub({ maxReplayBufferBytes: 16 * KiB, slowConsumerGraceMs: 3000 });
    const p = await WsPeer.open(h.url, []);
    cleanups.push(() => p.close());
    throttleWebSocket(p.ws, () => 4 * MiB);
    const topics = Array.from({ length: 8 }, (_, k) => `t${k}`);
    const from = await mark(h.hub, 'elsewhere');
    const ledger = new Map<string, string[]>(topics.map((t) => [t, []]));
    // 8 MiB in all: twice what the kernel takes, so the replays wait for the reader.
    for (const t of topics) ledger.get(t)?.push(...(await backlog(h.hub, t, 32)));
    let stop = false;
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        const t = topics[i % topics.length] as string;
        ledger.get(t)?.push((await h.hub.publish({ topic: t, type: 'live', data: { i } })).id);
        await new Promise((res) => setTimeout(res, 1));
      }
    })();
    // All eight at once: one replays, seven hold live events meanwhile.
    const acks = await Promise.all(
      topics.map((t) => p.request({ op: 'subscribe', topics: [t], lastEventId: from }, 20_000)),
    );
    expect(acks.map((a) => a.op)).toEqual(topics.map(() => 'ack'));
    const subs = () =>
      (h.hub.connections()[0] as unknown as { subs: Array<{ state: string }> } | undefined)?.subs;
    await until(
      () => subs()?.length === 8 && subs()?.every((x) => x.state === 'live') === true,
      30_000,
      () =>
        `subscriptions ${JSON.stringify(subs()?.map((x) => x.state))}; closes ${JSON.stringify(h.closes)}`,
    );
    await new Promise((res) => setTimeout(res, 50));
    stop = true;
    await publisher;
    const total = [...ledger.values()].reduce((n, ids) => n + ids.length, 0);
    // Far more live events than 16 KiB holds (~100 of these) came while subscriptions waited.
    expect(total - 8 * 32).toBeGreaterThan(300);
    await p.waitForEvents(total, 30_000);
    for (const t of topics) {
      expect(p.events.filter((e) => e.topic === t).map((e) => e.id)).toEqual(ledger.get(t));
    }
    expect(p.events.length).toBe(total);
    expect(h.closes).toEqual([]);
  }, 60_000);

  it('answers an unknown id with reset and goes live, however slowly the reader reads', async () => {
    const h = await hub();
    await backlog(h.hub, 'big', 64);
    const r = await RawStream.events(h.url, ['big'], { lastEventId: 'no-such-event', rate: SLOW });
    cleanups.push(() => r.close());
    await until(() => r.frames.some((f) => f.event === 'reset'));
    const reset = r.frames.find((f) => f.event === 'reset');
    expect(JSON.parse(reset?.data ?? '{}')).toEqual({ reason: 'unknown-id', lastEventId: 'no-such-event' });
    const live = await backlog(h.hub, 'big', 8);
    await r.waitForIds(8);
    expect(r.ids()).toEqual(live);
  }, 30_000);

  it('live events published during a slow replay follow the backlog exactly once, though the held buffer overflows', async () => {
    // 8 KiB of held live events: the buffer overflows again and again and the replay reads on.
    const h = await hub({ maxReplayBufferBytes: 8 * KiB });
    const from = await mark(h.hub, 'big');
    // Twice what the kernel's buffers take: the replay then waits for the reader for seconds.
    const all = await backlog(h.hub, 'big', 256);
    let stop = false;
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        const batch = Array.from({ length: 4 }, (_, k) => ({ topic: 'big', type: 'live', data: { i, k } }));
        all.push(...(await h.hub.publish(batch)).map((x) => x.id));
        await new Promise((res) => setTimeout(res, 2));
      }
    })();
    const r = await RawStream.events(h.url, ['big'], { lastEventId: from, rate: 2 * MiB });
    cleanups.push(() => r.close());
    await until(() => h.hub.connections().length === 1);
    await until(
      () => h.hub.connections().every((c) => (c as unknown as { state: string }).state === 'live'),
      20_000,
    );
    await new Promise((res) => setTimeout(res, 50));
    stop = true;
    await publisher;
    // Far more live events than 8 KiB holds (~40 of these) arrived during the replay.
    expect(all.length).toBeGreaterThan(256 + 200);
    await r.waitForIds(all.length, 20_000);
    expect(r.ids()).toEqual(all);
    expect(h.closes).toEqual([]);
  }, 40_000);
});

describe('the slow-consumer rule judges draining, not bursts', () => {
  it('twenty stalled readers among fast ones on 32 KiB events: the fast get everything, the stalled are cut by the rule and resume without loss', async () => {
    const h = await hub();
    const innocent = await Innocent.open(h.url);
    const fast = await Promise.all([1, 2, 3].map(() => StreamReader.open(h.url, ['big'])));
    const fastWs = await WsPeer.open(h.url, ['big']);
    const stalled = await Promise.all(
      Array.from({ length: 20 }, () => RawStream.events(h.url, ['big'], { rate: 'stalled' })),
    );
    cleanups.push(() => {
      for (const r of stalled) r.close();
      fastWs.close();
    });
    await until(() => h.hub.connections().length === 25);
    const fastIds = new Set(h.hub.connections().map((c) => c.id));
    const ledger: string[] = [];
    for (let i = 0; i < 1000 && h.closes.length < 20; i++) {
      ledger.push((await h.hub.publish({ topic: 'big', type: 'blob', data: { i, blob: BLOB } })).id);
      // The fast readers live in this process: let them read between publishes.
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(h.closes.length).toBe(20);
    for (const c of h.closes) {
      expect(c.reason).toBe('slow-consumer');
      // Cut within the grace period (and two sweeps) of its queue passing the limit, or within
      // 20 ms of passing the hard cap (plus this busy process's timer lag).
      const over = h.queues.firstOver.get(c.id);
      expect(over).toBeDefined();
      expect(c.at - (over as number)).toBeLessThan(GRACE + 2 * SWEEP + 500);
      const overCap = h.queues.firstOverCap.get(c.id);
      if (overCap !== undefined) expect(c.at - overCap).toBeLessThan(20 + 250);
    }
    for (const c of h.closes) fastIds.delete(c.id);
    expect(fastIds.size).toBe(5);
    for (const f of fast) {
      await f.waitForEvents(ledger.length, 20_000);
      expect(f.events.map((e) => e.id)).toEqual(ledger);
    }
    await fastWs.waitForEvents(ledger.length, 20_000);
    expect(wsIds(fastWs)).toEqual(ledger);
    // Each stalled reader reads what reached it, then resumes from its last whole event.
    for (const r of stalled) r.read('full');
    for (const r of stalled) await r.waitEnded();
    const resumed = await Promise.all(
      stalled.map((r) =>
        RawStream.events(h.url, ['big'], {
          lastEventId: r.ids().at(-1) ?? r.connected()?.lastEventId,
          rate: SLOW,
        }),
      ),
    );
    cleanups.push(() => {
      for (const r of resumed) r.close();
    });
    for (const [k, r] of resumed.entries()) {
      const before = (stalled[k] as RawStream).ids();
      await r.waitForIds(ledger.length - before.length, 20_000);
      expect([...before, ...r.ids()]).toEqual(ledger);
    }
    await innocent.assertUnharmed();
    await Promise.all([...fast.map((f) => f.close()), innocent.close()]);
  }, 90_000);

  it('six concurrent 480 KB batch publishes (over HTTP, then in one turn) do not cut SSE, WebSocket and Mercure readers that keep up (default limits)', async () => {
    // SQLite commits concurrent publishes together: all 2.9 MB reach every subscriber in one turn.
    const h = await hub({
      store: sqliteStore({ path: ':memory:' }),
      maxBufferBytes: undefined,
      slowConsumerGraceMs: undefined,
      mercure: { ...KEYS },
    });
    const innocent = await Innocent.open(h.url);
    const sse = await Promise.all([1, 2, 3].map(() => StreamReader.open(h.url, ['big'])));
    const ws = await Promise.all([1, 2].map(() => WsPeer.open(h.url, ['big'])));
    const token = await mercureToken({ subscribe: ['*'] });
    const mercure = await RawStream.open(h.url, '/.well-known/mercure?topic=big', {
      headers: { Authorization: `Bearer ${token}` },
    });
    // Readers on a modest link: 2 MiB/s each, the burst takes them about 1.5 s to read.
    const modest = await Promise.all([1, 2].map(() => RawStream.events(h.url, ['big'], { rate: 2 * MiB })));
    const modestWs = await WsPeer.open(h.url, ['big']);
    throttleWebSocket(modestWs.ws, () => 2 * MiB);
    cleanups.push(() => {
      for (const p of [...ws, modestWs]) p.close();
      for (const r of [mercure, ...modest]) r.close();
    });
    await until(() => h.hub.connections().length === 10);
    const chunk = 'y'.repeat(60_000);
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((b) =>
        post(
          h.url,
          Array.from({ length: 8 }, (_, k) => ({ topic: 'big', type: 'blob', data: { b, k, chunk } })),
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const ids = new Set(answers.flatMap((a) => (a.body as { ids: string[] }).ids));
    expect(ids.size).toBe(48);
    // And six from a backend in the same process: dispatched to every subscriber in one turn.
    const inProcess = await Promise.all(
      [6, 7, 8, 9, 10, 11].map((b) =>
        h.hub.publish(
          Array.from({ length: 8 }, (_, k) => ({ topic: 'big', type: 'blob', data: { b, k, chunk } })),
        ),
      ),
    );
    for (const r of inProcess.flat()) ids.add(r.id);
    expect(ids.size).toBe(96);
    for (const r of sse) {
      await r.waitForEvents(96, 20_000);
      expect(new Set(r.events.map((e) => e.id))).toEqual(ids);
    }
    for (const p of ws) {
      await p.waitForEvents(96, 20_000);
      expect(new Set(wsIds(p))).toEqual(ids);
    }
    for (const r of [mercure, ...modest]) {
      await r.waitForIds(96, 20_000);
      expect(new Set(r.ids())).toEqual(ids);
    }
    await modestWs.waitForEvents(96, 20_000);
    expect(new Set(wsIds(modestWs))).toEqual(ids);
    expect(h.closes).toEqual([]);
    await innocent.assertUnharmed();
    await Promise.all([...sse.map((r) => r.close()), innocent.close()]);
  }, 60_000);

  it('six concurrent 480 KB single-event publishes (over HTTP, then in one turn) do not cut readers that keep up (default limits)', async () => {
    const h = await hub({
      maxBufferBytes: undefined,
      slowConsumerGraceMs: undefined,
      maxPayloadBytes: 512 * KiB,
    });
    const innocent = await Innocent.open(h.url);
    const sse = await Promise.all([1, 2, 3].map(() => StreamReader.open(h.url, ['big'])));
    const ws = await Promise.all([1, 2].map(() => WsPeer.open(h.url, ['big'])));
    cleanups.push(() => {
      for (const p of ws) p.close();
    });
    const big = 'z'.repeat(480_000);
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((b) => post(h.url, { topic: 'big', type: 'blob', data: { b, big } })),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const ids = new Set(answers.map((a) => (a.body as { id: string }).id));
    // And six from a backend in the same process: dispatched to every subscriber in one turn.
    const inProcess = await Promise.all(
      [6, 7, 8, 9, 10, 11].map((b) => h.hub.publish({ topic: 'big', type: 'blob', data: { b, big } })),
    );
    for (const r of inProcess) ids.add(r.id);
    for (const r of sse) {
      await r.waitForEvents(12, 20_000);
      expect(new Set(r.events.map((e) => e.id))).toEqual(ids);
    }
    for (const p of ws) {
      await p.waitForEvents(12, 20_000);
      expect(new Set(wsIds(p))).toEqual(ids);
    }
    expect(h.closes).toEqual([]);
    await innocent.assertUnharmed();
    await Promise.all([...sse.map((r) => r.close()), innocent.close()]);
  }, 60_000);

  it('a reader that never reads is cut one grace period after its queue passed the limit, holding under the hard cap', async () => {
    const h = await hub();
    const innocent = await Innocent.open(h.url);
    const r = await RawStream.events(h.url, ['big'], { rate: 'stalled' });
    cleanups.push(() => r.close());
    await until(() => h.hub.connections().length === 2);
    const victim = h.hub.connections().find((c) => !c.topics.includes(innocent.topic));
    const ledger: string[] = [];
    // Fill the kernel's buffers, then the hub's queue just past the limit, and stop.
    for (let i = 0; i < 1000 && (victim?.bufferedBytes ?? 0) <= LIMIT; i++) {
      ledger.push((await h.hub.publish({ topic: 'big', type: 'blob', data: { i, blob: BLOB } })).id);
      await new Promise((res) => setImmediate(res));
    }
    const over = performance.now();
    expect(victim?.bufferedBytes).toBeGreaterThan(LIMIT);
    await until(() => h.closes.length === 1, 5000);
    const [cut] = h.closes;
    expect(cut).toMatchObject({ id: victim?.id, reason: 'slow-consumer' });
    // Not before the grace period (less the sweep that started it), not long after.
    const waited = (cut as Closed).at - over;
    expect(waited).toBeGreaterThanOrEqual(GRACE - SWEEP);
    expect(waited).toBeLessThan(GRACE + 2 * SWEEP + 500);
    expect(h.queues.max()).toBeLessThanOrEqual(LIMIT + 33 * KiB);
    // It reads what reached it and resumes from there without loss.
    r.read('full');
    await r.waitEnded();
    const again = await RawStream.events(h.url, ['big'], { lastEventId: r.ids().at(-1) });
    cleanups.push(() => again.close());
    await again.waitForIds(ledger.length - r.ids().length);
    expect([...r.ids(), ...again.ids()]).toEqual(ledger);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 30_000);

  it('a burst past four times the limit cuts a stalled reader at once, long before the grace period', async () => {
    const h = await hub({ slowConsumerGraceMs: 60_000 });
    const innocent = await Innocent.open(h.url);
    const r = await RawStream.events(h.url, ['big'], { rate: 'stalled' });
    const p = await WsPeer.open(h.url, ['big']);
    socketOf(p.ws).pause();
    cleanups.push(() => {
      r.close();
      p.close();
    });
    await until(() => h.hub.connections().length === 3);
    const started = performance.now();
    for (let i = 0; i < 1000 && h.closes.length < 2; i++) {
      await h.hub.publish({ topic: 'big', type: 'blob', data: { i, blob: BLOB } });
      await new Promise((res) => setImmediate(res));
    }
    expect(h.closes.map((c) => c.reason)).toEqual(['slow-consumer', 'slow-consumer']);
    expect(performance.now() - started).toBeLessThan(20_000);
    // Each was cut within 20 ms (plus timer lag) of its queue passing four times the limit.
    for (const c of h.closes) {
      const overCap = h.queues.firstOverCap.get(c.id);
      expect(overCap).toBeDefined();
      expect(c.at - (overCap as number)).toBeLessThan(20 + 250);
    }
    socketOf(p.ws).resume();
    expect((await p.waitClosed()).code).toBe(1006);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 30_000);

  it('a reader that drains a burst in steps stays connected though its queue sits above the limit longer than the grace period', async () => {
    // The kernel hands a full socket back in steps of a third of its buffer (about a megabyte
    // here): a queue of 3 MiB over a 1 MiB limit takes two steps or more to get under it.
    const limit = MiB;
    const grace = 1000;
    const h = await hub({ maxBufferBytes: limit, slowConsumerGraceMs: grace });
    const r = await RawStream.events(h.url, ['big'], { rate: 'stalled' });
    cleanups.push(() => r.close());
    await until(() => h.hub.connections().length === 1);
    const conn = h.hub.connections()[0];
    const ledger: string[] = [];
    let over = 0;
    for (let i = 0; i < 2000 && (conn?.bufferedBytes ?? 0) <= 3 * limit; i++) {
      ledger.push((await h.hub.publish({ topic: 'big', type: 'blob', data: { i, blob: BLOB } })).id);
      await new Promise((res) => setImmediate(res));
      if (over === 0 && (conn?.bufferedBytes ?? 0) > limit) over = performance.now();
    }
    expect(conn?.bufferedBytes).toBeGreaterThan(3 * limit);
    r.read(2 * MiB);
    await until(() => (conn?.bufferedBytes ?? 0) <= limit, 20_000);
    expect(performance.now() - over).toBeGreaterThan(grace);
    expect(h.closes).toEqual([]);
    r.read('full');
    await r.waitForIds(ledger.length, 20_000);
    expect(r.ids()).toEqual(ledger);
  }, 40_000);

  it('a replay whose reader stops reading for many grace periods holds one high-water mark and finishes when it reads again', async () => {
    const h = await hub();
    const innocent = await Innocent.open(h.url);
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', 256);
    const r = await RawStream.events(h.url, ['big'], { lastEventId: from, rate: 'stalled' });
    cleanups.push(() => r.close());
    // Live events keep coming meanwhile, and are held (bounded) or read again from history.
    for (let i = 0; i < 40; i++) {
      ids.push((await h.hub.publish({ topic: 'big', type: 'live', data: { i } })).id);
      await new Promise((res) => setTimeout(res, 50));
    }
    // Five grace periods without reading a byte: the replay waits, and is not judged.
    expect(h.closes).toEqual([]);
    expect(h.queues.max()).toBeLessThanOrEqual(REPLAY_QUEUE);
    r.read(SLOW);
    await r.waitForIds(ids.length, 20_000);
    expect(r.ids()).toEqual(ids);
    expect(h.closes).toEqual([]);
    await innocent.assertUnharmed();
    await innocent.close();
  }, 40_000);

  it('a replay whose reader pauses for less than the grace period is not cut', async () => {
    const h = await hub({ slowConsumerGraceMs: 2000 });
    const from = await mark(h.hub, 'big');
    const ids = await backlog(h.hub, 'big', 256);
    const r = await RawStream.events(h.url, ['big'], { lastEventId: from, rate: SLOW });
    cleanups.push(() => r.close());
    await r.waitForIds(40, 10_000);
    r.read('stalled');
    await new Promise((res) => setTimeout(res, 1000));
    r.read(SLOW);
    await r.waitForIds(ids.length, 20_000);
    expect(r.ids()).toEqual(ids);
    expect(h.closes).toEqual([]);
  }, 40_000);
});
