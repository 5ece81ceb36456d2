import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { localEngine } from '../engine.js';
import { HubError } from '../errors.js';
import type { StoredEvent } from '../stored-event.js';
import { MemoryStore } from '../stores/memory-store.js';
import { runStoreSuite } from '../testing/store-suite.js';
import { ipcEngine } from './ipc-engine.js';
import { IpcEngineHost } from './ipc-host.js';
import type { IpcPort } from './ipc-messages.js';

/**
 * Worker and primary connected by a real MessageChannel, each message serialised as JSON the way
 * node:cluster's default IPC serialisation does (so `undefined` fields vanish as they would).
 */
const channels: MessageChannel[] = [];
afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

function port(p: MessagePort): IpcPort {
  const wrapped = new Map<(m: unknown) => void, (m: unknown) => void>();
  return {
    send: (m) => p.postMessage(JSON.stringify(m)),
    on: (_e, l) => {
      const w = (m: unknown) => l(JSON.parse(m as string));
      wrapped.set(l, w);
      p.on('message', w);
    },
    off: (_e, l) => {
      const w = wrapped.get(l);
      if (w) p.off('message', w);
    },
  };
}

function pair(): { primary: IpcPort; worker: IpcPort } {
  const c = new MessageChannel();
  channels.push(c);
  return { primary: port(c.port1), worker: port(c.port2) };
}

runStoreSuite({
  name: 'ipc (a worker reading a MemoryStore in its primary)',
  async create(o) {
    const { primary, worker } = pair();
    new IpcEngineHost(localEngine(new MemoryStore(o))).attach(primary);
    return (await ipcEngine(worker)).store;
  },
});

describe('ipcEngine', () => {
  it('fans every appended event out to every worker in position order, the publisher included', async () => {
    const host = new IpcEngineHost(localEngine(new MemoryStore()));
    const workers = await Promise.all(
      [0, 1, 2].map(async () => {
        const { primary, worker } = pair();
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
    const a = pair();
    const b = pair();
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
