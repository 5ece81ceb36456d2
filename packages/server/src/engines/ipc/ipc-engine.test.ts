import { describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { ipcPair } from '../../../test/ipc-ports.js';
import { HubError } from '../../core/errors.js';
import type { StoredEvent } from '../../core/stored-event.js';
import { createHub } from '../../hub.js';
import { runPresenceSuite } from '../../testing/presence-suite.js';
import { runStoreSuite } from '../../testing/store-suite.js';
import { localEngine } from '../engine.js';
import { MemoryStore } from '../memory/memory-store.js';
import { ipcEngine } from './ipc-engine.js';
import { IpcEngineHost } from './ipc-host.js';
import type { IpcPort } from './ipc-messages.js';

runStoreSuite({
  name: 'ipc (a worker reading a MemoryStore in its primary)',
  async create(o) {
    const { primary, worker } = ipcPair();
    new IpcEngineHost(localEngine(new MemoryStore(o))).attach(primary);
    return (await ipcEngine(worker)).store;
  },
});

/** One host per `shared`, one worker per node; killing a node detaches it as the primary does at exit. */
const presenceHosts = new Map<number, { host: IpcEngineHost; ports: Map<number, IpcPort> }>();
runPresenceSuite({
  name: 'ipc (workers announcing to their primary)',
  async create(shared, node) {
    let h = presenceHosts.get(shared);
    if (!h) {
      h = { host: new IpcEngineHost(localEngine(new MemoryStore())), ports: new Map() };
      presenceHosts.set(shared, h);
    }
    const { primary, worker } = ipcPair();
    h.host.attach(primary);
    h.ports.set(node, primary);
    const presence = (await ipcEngine(worker)).presence;
    if (!presence) throw new Error('ipcEngine has no presence store');
    return presence;
  },
  async kill(shared, node) {
    const h = presenceHosts.get(shared);
    const p = h?.ports.get(node);
    if (h && p) h.host.detach(p);
  },
});

/** A primary that takes requests and answers only when told to. */
function silentPrimary(): {
  port: IpcPort;
  answerAll: () => void;
  requests: () => number;
  push: (events: StoredEvent[]) => void;
} {
  const listeners: ((m: unknown) => void)[] = [];
  const queued: { rid: number; op: string }[] = [];
  const answer = (m: unknown) => {
    for (const l of listeners) l(m);
  };
  return {
    port: {
      send(m) {
        const req = m as { rid: number; op: string };
        if (req.op === 'hello')
          answer({ tidings: 'ok', rid: req.rid, value: { kind: 'memory', idKey: undefined } });
        else queued.push(req);
      },
      on: (_e, l) => listeners.push(l),
      off: () => {},
    },
    answerAll() {
      for (const r of queued.splice(0))
        answer({
          tidings: 'ok',
          rid: r.rid,
          value: r.op === 'head' ? '7' : r.op === 'readAfter' ? { events: [], truncated: false } : [],
        });
    },
    requests: () => queued.length,
    push: (events) => answer({ tidings: 'events', events }),
  };
}

describe('ipcEngine backpressure', () => {
  it('refuses a request past maxInFlight with a 503 that says to retry, and takes requests again once answers arrive', async () => {
    const primary = silentPrimary();
    const engine = await ipcEngine(primary.port, undefined, { maxInFlight: 3 });
    const waiting = [engine.store.head(), engine.store.head(), engine.store.head()];
    expect(primary.requests()).toBe(3);
    const err = await engine.store
      .append([{ topic: 't', type: 'x', ts: Date.now(), dataJson: '1' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(503);
    expect((err as HubError).headers).toEqual({ 'retry-after': '1' });
    expect((err as HubError).message).toBe(
      "This worker already has 3 requests waiting for the hub's primary process, which is overloaded; retry in a moment.",
    );
    // The refused request never reached the primary.
    expect(primary.requests()).toBe(3);
    primary.answerAll();
    expect(await Promise.all(waiting)).toEqual(['7', '7', '7']);
    const again = engine.store.head();
    expect(primary.requests()).toBe(1);
    primary.answerAll();
    expect(await again).toBe('7');
    await engine.close();
  });

  it('answers a publish past the limit with 503, Retry-After and the sentence, while the earlier one waits', async () => {
    const primary = silentPrimary();
    const hub = createHub({ engine: await ipcEngine(primary.port, undefined, { maxInFlight: 2 }) });
    const publish = () =>
      hub.fetch(
        new Request('http://hub/publish', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ topic: 't', type: 'x', data: 1 }),
        }),
      );
    const waiting = [publish(), publish()];
    await until(() => primary.requests() === 2);
    const refused = await publish();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "This worker already has 2 requests waiting for the hub's primary process, which is overloaded; retry in a moment.",
    );
    expect(primary.requests()).toBe(2);
    primary.answerAll();
    await Promise.all(waiting);
    await hub.close();
  });

  it('defaults to 10000 requests in flight and refuses a limit that is not a positive integer', async () => {
    const primary = silentPrimary();
    const engine = await ipcEngine(primary.port);
    const waiting = Array.from({ length: 10_000 }, () => engine.store.head());
    const err = await engine.store.head().catch((e: unknown) => e);
    expect((err as HubError).status).toBe(503);
    expect(primary.requests()).toBe(10_000);
    primary.answerAll();
    await Promise.all(waiting);
    await expect(ipcEngine(silentPrimary().port, undefined, { maxInFlight: 0 })).rejects.toThrow(
      /maxInFlight must be a positive integer, not 0/,
    );
    await engine.close();
  });
});

describe('ipcEngine', () => {
  it('fans every appended event out to every worker in position order, the publisher included', async () => {
    const host = new IpcEngineHost(localEngine(new MemoryStore()));
    const workers = await Promise.all(
      [0, 1, 2].map(async () => {
        const { primary, worker } = ipcPair();
        host.attach(primary);
        const engine = await ipcEngine(worker);
        const seen: StoredEvent[] = [];
        engine.broker.subscribe((evs) => seen.push(...evs));
        return { engine, seen };
      }),
    );
    const appends = [];
    for (let i = 0; i < 90; i++) {
      const w = workers[i % 3];
      appends.push(
        w?.engine.store.append([{ topic: `t/${i % 4}`, type: 'x', ts: Date.now(), dataJson: String(i) }]),
      );
    }
    const results = (await Promise.all(appends)).flatMap((r) => r ?? []).map((r) => r.event.pos);
    const end = Date.now() + 10_000;
    while (workers.some((w) => w.seen.length < 90) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 5));
    const positions = [...results].sort((a, b) => Number(a) - Number(b));
    for (const w of workers) expect(w.seen.map((e) => e.pos)).toEqual(positions);
    // The publisher's own subscribers have an event before its append is answered.
    const w0 = workers[0];
    const [r] =
      (await w0?.engine.store.append([{ topic: 'late', type: 'x', ts: Date.now(), dataJson: '1' }])) ?? [];
    expect(w0?.seen.at(-1)?.pos).toBe(r?.event.pos);
    await host.close();
  });

  it('carries a refusal as the same HubError, and relays control messages to every worker', async () => {
    const host = new IpcEngineHost(localEngine(new MemoryStore()));
    const a = ipcPair();
    const b = ipcPair();
    host.attach(a.primary);
    host.attach(b.primary);
    const wa = await ipcEngine(a.worker);
    const wb = await ipcEngine(b.worker);
    const err = await wa.store
      .append([{ id: 'abcdef.12', topic: 't', type: 'x', ts: Date.now(), dataJson: '1' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(400);
    const got: string[] = [];
    wa.broker.onControl((m) => got.push(`a:${m.kind}`));
    wb.broker.onControl((m) => got.push(`b:${m.kind}`));
    await wa.broker.sendControl({ kind: 'ping' });
    expect(got).toContain('a:ping');
    const end = Date.now() + 10_000;
    while (!got.includes('b:ping') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(got.sort()).toEqual(['a:ping', 'b:ping']);
    await host.close();
  });
});

describe('ipcEngine reads', () => {
  it('sends identical reads in flight at the same time as one request, and a fresh one once events arrived', async () => {
    const primary = silentPrimary();
    const engine = await ipcEngine(primary.port);
    const filter = { topics: ['t'], patterns: [] };
    const storm = Array.from({ length: 500 }, () => engine.store.readAfter('5', filter, 100));
    expect(primary.requests()).toBe(1);
    // Another question is asked on its own.
    const other = engine.store.readAfter('6', filter, 100);
    expect(primary.requests()).toBe(2);
    // An event arrived: history changed, so a later reader must not join the read sent before it.
    primary.push([]);
    const later = engine.store.readAfter('5', filter, 100);
    expect(primary.requests()).toBe(3);
    primary.answerAll();
    const answers = await Promise.all(storm);
    expect(new Set(answers).size).toBe(1);
    expect(await other).toEqual({ events: [], truncated: false });
    expect(await later).not.toBe(answers[0]);
    // Nothing is remembered after the answers: the next read asks again.
    const next = engine.store.readAfter('5', filter, 100);
    expect(primary.requests()).toBe(1);
    primary.answerAll();
    await next;
    await engine.close();
  });
});
