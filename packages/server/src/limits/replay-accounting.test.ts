import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../engines/memory/memory-store.js';
import { MemoryAccountant } from './memory-accountant.js';
import { accountedReads } from './replay-accounting.js';

const made: MemoryAccountant[] = [];
afterEach(() => {
  for (const a of made.splice(0)) a.close();
});

describe('accountedReads', () => {
  it('holds each page from its read until the next one, and nothing after done()', async () => {
    const store = new MemoryStore();
    await store.append(
      Array.from({ length: 10 }, (_, i) => ({
        id: undefined,
        topic: 't',
        type: 'x',
        ts: Date.now(),
        dataJson: JSON.stringify('d'.repeat(1000 + i)),
        meta: undefined,
      })),
    );
    const acc = new MemoryAccountant({ budgetBytes: 1024 * 1024 * 1024, collectGarbage: false });
    made.push(acc);
    const reads = accountedReads(store, acc);
    const filter = { topics: ['t'], patterns: [] };
    const first = await reads.store.readAfter('0', filter, 4);
    expect(first.events).toHaveLength(4);
    const one = acc.snapshot().held.replay;
    // Each event: its payload as UTF-16, its strings and a fixed overhead.
    expect(one).toBeGreaterThan(4 * 2000);
    expect(one).toBeLessThan(4 * 3000);
    const second = await reads.store.readAfter((first.events.at(-1) as { pos: string }).pos, filter, 4);
    expect(second.events).toHaveLength(4);
    expect(acc.snapshot().held.replay).toBeGreaterThan(4 * 2000);
    expect(acc.snapshot().held.replay).toBeLessThan(2 * one);
    // The rest of the store works through the view, on the store itself.
    // (Resume ids carry a random nonce, so the store itself must map the view's back.)
    expect(await store.resolve(reads.store.idAt('0'), filter)).toEqual({ kind: 'found', pos: '0' });
    expect(await reads.store.head()).toBe(await store.head());
    reads.done();
    expect(acc.snapshot().held.replay).toBe(0);
    reads.done();
    expect(acc.snapshot().held.replay).toBe(0);
  });

  it('counts an event several replays hold at once only once, until the last lets go', async () => {
    const store = new MemoryStore();
    await store.append(
      Array.from({ length: 5 }, () => ({ topic: 't', type: 'x', ts: Date.now(), dataJson: '"payload"' })),
    );
    // A store that answers a repeated read with the same events, as SQLite's read cache does.
    const page = await store.readAfter('0', { topics: ['t'], patterns: [] }, 10);
    const caching = new Proxy(store, {
      get: (target, prop) =>
        prop === 'readAfter' ? async () => page : (Reflect.get(target, prop, target) as unknown),
    });
    const acc = new MemoryAccountant({ budgetBytes: 1024 * 1024 * 1024, collectGarbage: false });
    made.push(acc);
    const storm = Array.from({ length: 1000 }, () => accountedReads(caching, acc));
    for (const r of storm) await r.store.readAfter('0', { topics: ['t'], patterns: [] }, 10);
    const once = acc.snapshot().held.replay;
    expect(once).toBeGreaterThan(0);
    expect(once).toBeLessThan(5 * 400);
    for (const r of storm.slice(1)) r.done();
    expect(acc.snapshot().held.replay).toBe(once);
    storm[0]?.done();
    expect(acc.snapshot().held.replay).toBe(0);
  });
});
