import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Broker,
  type HistoryStore,
  localEngine,
  MemoryBroker,
  memoryStore,
  SqliteStore,
} from '../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const running: RunningHub[] = [];
const readers: StreamReader[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
async function hub(opts = {}) {
  const h = await startHub(opts);
  running.push(h);
  return h;
}
async function open(...args: Parameters<typeof StreamReader.open>) {
  const r = await StreamReader.open(...args);
  readers.push(r);
  return r;
}
/**
 * A real memory store whose reads take a few milliseconds, as a networked store's would, so that
 * live publishes really do land while a replay is in progress.
 */
function withReadLatency(store: HistoryStore): HistoryStore {
  const pause = () => new Promise((r) => setTimeout(r, Math.random() * 3));
  return {
    kind: store.kind,
    append: (e) => store.append(e),
    resolve: async (id, filter) => {
      await pause();
      return store.resolve(id, filter);
    },
    readAfter: async (after, filter, limit) => {
      await pause();
      const page = await store.readAfter(after, filter, limit);
      await pause(); // the answer travels back while more events are published
      return page;
    },
    head: () => store.head(),
    idAt: (pos) => store.idAt(pos),
    prune: () => store.prune(),
    close: () => store.close(),
  };
}

async function publishMany(h: RunningHub, topic: string, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.hub.publish({ topic, type: 't', data: { i } })).id);
  return ids;
}

describe('resume with Last-Event-ID', () => {
  it('replays exactly the events after the id, then continues live', async () => {
    const h = await hub();
    const ids = await publishMany(h, 'leases', 10);
    await publishMany(h, 'other', 3);
    const r = await open(h.url, ['leases'], { lastEventId: ids[3] });
    await r.waitForEvents(6);
    const live = await publishMany(h, 'leases', 2);
    await r.waitForEvents(8);
    expect(r.events.map((e) => e.id)).toEqual([...ids.slice(4), ...live]);
    expect(r.of('reset')).toEqual([]);
  });

  it('gives a fresh stream a resume point, so a client that saw no event yet loses nothing', async () => {
    const h = await hub();
    await publishMany(h, 'a', 3);
    const first = await open(h.url, ['a']);
    await first.waitFor((x) => x.frames.length >= 1);
    const resumeFrom = JSON.parse(first.frames[0]?.data ?? '{}').lastEventId as string;
    await first.close();
    const missed = await publishMany(h, 'a', 2);
    const again = await open(h.url, ['a'], { lastEventId: resumeFrom });
    await again.waitForEvents(2);
    expect(again.events.map((e) => e.id)).toEqual(missed);
    expect(again.of('reset')).toEqual([]);
    expect(JSON.parse(again.frames[0]?.data ?? '{}').lastEventId).toBe(resumeFrom);
  });

  it('accepts ?lastEventId= for clients that cannot set headers, and prefers the header', async () => {
    const h = await hub();
    const ids = await publishMany(h, 'a', 5);
    const q = await open(h.url, ['a'], { query: { lastEventId: ids[1] as string } });
    await q.waitForEvents(3);
    expect(q.events.map((e) => e.id)).toEqual(ids.slice(2));
    const both = await open(h.url, ['a'], { query: { lastEventId: ids[0] as string }, lastEventId: ids[3] });
    await both.waitForEvents(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(both.events.map((e) => e.id)).toEqual(ids.slice(4));
  });

  it('resumes from a publisher-supplied id', async () => {
    const h = await hub();
    await h.hub.publish({ topic: 'a', type: 't', data: 0, id: 'urn:uuid:0f7a' });
    const after = await publishMany(h, 'a', 2);
    const r = await open(h.url, ['a'], { lastEventId: 'urn:uuid:0f7a' });
    await r.waitForEvents(2);
    expect(r.events.map((e) => e.id)).toEqual(after);
  });

  it('sends reset unknown-id first for an id it never issued, then goes live', async () => {
    const h = await hub();
    await publishMany(h, 'a', 2);
    const r = await open(h.url, ['a'], { lastEventId: 'made-up' });
    await r.waitFor((x) => x.of('reset').length === 1);
    expect(JSON.parse(r.of('reset')[0]?.data ?? '{}')).toEqual({
      reason: 'unknown-id',
      lastEventId: 'made-up',
    });
    const [live] = await publishMany(h, 'a', 1);
    await r.waitForEvents(1);
    expect(r.events.map((e) => e.id)).toEqual([live]);
    expect(r.frames.map((f) => f.event)).toEqual(['connected', 'reset', 't']);
  });

  it('sends reset history-truncated when retention removed events the client missed', async () => {
    const h = await hub({ store: memoryStore({ retention: { maxEvents: 5 } }) });
    const ids = await publishMany(h, 'busy', 12);
    const ok = await open(h.url, ['busy'], { lastEventId: ids[8] });
    await ok.waitForEvents(3);
    expect(ok.of('reset')).toEqual([]);
    const late = await open(h.url, ['busy'], { lastEventId: ids[2] });
    await late.waitFor((x) => x.of('reset').length === 1);
    expect(JSON.parse(late.of('reset')[0]?.data ?? '{}')).toEqual({
      reason: 'history-truncated',
      lastEventId: ids[2],
    });
    const [live] = await publishMany(h, 'busy', 1);
    await late.waitForEvents(1);
    expect(late.events.map((e) => e.id)).toEqual([live]);
  });

  it('is gap-free and duplicate-free while a publisher is busy (replay-vs-live race)', async () => {
    // Reads with latency, small pages and a tiny live buffer force every path: paging, live
    // events arriving mid-replay, buffer overflow, and the hand-over to live under load.
    const h = await hub({ store: withReadLatency(memoryStore()), replayPageSize: 20, maxReplayBuffer: 5 });
    const all: string[] = [];
    all.push(...(await publishMany(h, 'race', 50)));
    let stop = false;
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        // Bursts of 1–8 events every ~2 ms: faster than a page's latency, slower than replay.
        const batch = Array.from({ length: 1 + (i % 8) }, (_, k) => ({
          topic: 'race',
          type: 't',
          data: { i, k },
        }));
        all.push(...(await h.hub.publish(batch)).map((r) => r.id));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const subs: Array<{ from: number; reader: StreamReader }> = [];
    for (let k = 0; k < 16; k++) {
      await new Promise((r) => setTimeout(r, 10));
      const from = Math.floor(Math.random() * all.length);
      subs.push({ from, reader: await open(h.url, ['race'], { lastEventId: all[from] }) });
    }
    // Keep publishing while every subscriber finishes its replay and hands over to live.
    await until(
      () => h.hub.connections().every((c) => (c as unknown as { state: string }).state === 'live'),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await publisher;
    expect(all.length).toBeGreaterThan(300);
    for (const { from, reader } of subs) {
      const want = all.slice(from + 1);
      await until(
        () => reader.events.length >= want.length,
        10_000,
        () => `${reader.events.length}/${want.length}`,
      );
      await new Promise((r) => setTimeout(r, 20));
      expect(reader.events.map((e) => e.id)).toEqual(want);
    }
  });

  it('sends no event twice when live delivery lags behind history (a networked broker)', async () => {
    // On several nodes an event can be in shared history before this node's broker delivers it:
    // a resume then replays it, and the late live copy must not be sent again.
    const broker = new MemoryBroker();
    const lagging: Broker = {
      kind: 'lagging',
      publish: async (events) => {
        setTimeout(() => broker.publishSync(events), 30);
      },
      subscribe: (l) => broker.subscribe(l),
      sendControl: (m) => broker.sendControl(m),
      onControl: (l) => broker.onControl(l),
      close: () => broker.close(),
    };
    const h = await hub({ engine: localEngine(memoryStore(), lagging) });
    const [first, ...rest] = await publishMany(h, 'lag', 5);
    // The four later events are in history but not yet delivered live on this node.
    const r = await open(h.url, ['lag'], { lastEventId: first });
    await r.waitForEvents(4);
    const live = await publishMany(h, 'lag', 2);
    await r.waitForEvents(6);
    await new Promise((res) => setTimeout(res, 60));
    expect(r.events.map((e) => e.id)).toEqual([...rest, ...live]);
  });

  it('replays large backlogs from SQLite across many pages in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-resume-'));
    dirs.push(dir);
    const h = await hub({ store: new SqliteStore({ path: join(dir, 'h.db') }), replayPageSize: 100 });
    const batch = Array.from({ length: 1000 }, (_, i) => ({ topic: `t/${i % 4}`, type: 'x', data: { i } }));
    const ids = (await h.hub.publish(batch)).map((r) => r.id);
    const r = await open(h.url, ['t/*'], { lastEventId: ids[0] });
    await r.waitForEvents(999, 10_000);
    expect(r.events.map((e) => e.id)).toEqual(ids.slice(1));
  });
});

describe('idempotent publishing', () => {
  it('stores a supplied id once and answers 200 with the original event on repeats', async () => {
    const h = await hub();
    const r = await open(h.url, ['orders']);
    await until(() => h.hub.connections().length === 1);
    const a = await post(h.url, { topic: 'orders', type: 'order-paid', data: { n: 1 }, id: 'order-42-paid' });
    const b = await post(h.url, { topic: 'orders', type: 'order-paid', data: { n: 2 }, id: 'order-42-paid' });
    expect(a).toMatchObject({ status: 201, body: { id: 'order-42-paid' } });
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({
      id: 'order-42-paid',
      duplicate: true,
      event: { data: { n: 1 }, topic: 'orders' },
    });
    await post(h.url, { topic: 'orders', type: 'order-paid', data: { n: 3 } });
    await r.waitForEvents(2);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('publishes a batch atomically, in order, and reports duplicates by index', async () => {
    const h = await hub();
    const r = await open(h.url, ['b/**']);
    await until(() => h.hub.connections().length === 1);
    const res = await post(h.url, [
      { topic: 'b/1', type: 't', data: 1, id: 'k1' },
      { topic: 'b/2', type: 't', data: 2 },
    ]);
    expect(res.status).toBe(201);
    expect(res.body.ids).toHaveLength(2);
    const again = await post(h.url, [{ topic: 'b/1', type: 't', data: 9, id: 'k1' }]);
    expect(again).toMatchObject({ status: 200, body: { ids: ['k1'], duplicates: [0] } });
    await r.waitForEvents(2);
    expect(r.events.map((e) => e.data)).toEqual([1, 2]);
  });
});
