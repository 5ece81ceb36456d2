import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../core/stored-event.js';
import type { ReadResult } from './history-store.js';
import { ReadCache, resultBytes } from './read-cache.js';

function page(n: number, size: number): ReadResult {
  const events: StoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    events.push({
      id: `e${i}`,
      pos: String(i + 1),
      topic: 't',
      type: 'm',
      ts: 0,
      dataJson: 'x'.repeat(size),
      meta: undefined,
    });
  }
  return { events, truncated: false };
}

describe('ReadCache', () => {
  it('answers a repeated question with the same object, and reads it once', async () => {
    const c = new ReadCache(1_000_000);
    let reads = 0;
    const read = () => {
      reads++;
      return page(3, 10);
    };
    const a = await c.read('k', read);
    const b = await c.read('k', read);
    expect(b).toBe(a);
    expect(reads).toBe(1);
  });

  it('shares a read that is still running among every caller asking the same question', async () => {
    const c = new ReadCache(0);
    let reads = 0;
    let finish!: (r: ReadResult) => void;
    const read = () => {
      reads++;
      return new Promise<ReadResult>((resolve) => {
        finish = resolve;
      });
    };
    const callers = Array.from({ length: 1000 }, () => c.read('k', read));
    finish(page(1, 1));
    const results = await Promise.all(callers);
    expect(reads).toBe(1);
    expect(new Set(results).size).toBe(1);
    // With a budget of 0 nothing is remembered once the read finished.
    const again = c.read('k', read);
    finish(page(1, 1));
    await again;
    expect(reads).toBe(2);
  });

  it('stays within its byte budget, evicting the least recently used answer first', async () => {
    const one = resultBytes(page(10, 1000));
    const c = new ReadCache(one * 3);
    for (let i = 0; i < 50; i++) await c.read(`k${i}`, () => page(10, 1000));
    expect(c.size).toBe(3);
    expect(c.bytes).toBeLessThanOrEqual(one * 3);
    // k49 is the newest; asking for k47 again makes k48 the oldest.
    let reads = 0;
    await c.read('k47', () => {
      reads++;
      return page(10, 1000);
    });
    expect(reads).toBe(0);
    await c.read('new', () => page(10, 1000));
    await c.read('k48', () => {
      reads++;
      return page(10, 1000);
    });
    expect(reads).toBe(1);
  });

  it('never keeps an answer larger than the whole budget', async () => {
    const c = new ReadCache(10_000);
    await c.read('small', () => page(1, 10));
    await c.read('huge', () => page(10, 10_000));
    expect(c.size).toBe(1);
    expect(c.bytes).toBeLessThanOrEqual(10_000);
  });

  it('after clear, neither remembers nor lets new callers join a read that started before', async () => {
    const c = new ReadCache(1_000_000);
    let finish!: (r: ReadResult) => void;
    let reads = 0;
    const slow = () => {
      reads++;
      return new Promise<ReadResult>((resolve) => {
        finish = resolve;
      });
    };
    const first = c.read('k', slow);
    c.clear();
    const second = c.read('k', () => page(2, 1));
    finish(page(1, 1));
    expect((await first).events).toHaveLength(1);
    expect((await second).events).toHaveLength(2);
    expect(reads).toBe(1);
    // The stale read finished after the clear and was not remembered over the fresh one.
    expect((await c.read('k', () => page(3, 1))).events).toHaveLength(2);
  });

  it('refuses a budget that is not a whole number of bytes', () => {
    expect(() => new ReadCache(-1)).toThrow(/whole number of bytes/);
    expect(() => new ReadCache(1.5)).toThrow(/whole number of bytes/);
  });
});
