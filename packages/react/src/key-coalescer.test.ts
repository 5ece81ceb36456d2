import { describe, expect, it } from 'vitest';
import { KeyCoalescer } from './key-coalescer.js';

function heldTimers() {
  const pending = new Map<number, () => void>();
  let seq = 0;
  return {
    pending,
    setTimeout: (fn: () => void) => {
      pending.set(++seq, fn);
      return seq;
    },
    clearTimeout: (h: unknown) => void pending.delete(h as number),
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      for (const f of fns) f();
    },
  };
}

describe('KeyCoalescer', () => {
  it('flushes each key once per window, however many requests', () => {
    const timers = heldTimers();
    const flushed: string[] = [];
    const c = new KeyCoalescer<string>(100, (k) => flushed.push(k), timers);
    for (let i = 0; i < 50; i++) {
      c.request('a', 'a');
      c.request('b', 'b');
    }
    expect(flushed).toEqual([]);
    expect(c.size).toBe(2);
    timers.fire();
    expect(flushed).toEqual(['a', 'b']);
    c.request('a', 'a');
    timers.fire();
    expect(flushed).toEqual(['a', 'b', 'a']);
  });

  it('flushes at once with a zero window, and cancel drops pending keys', () => {
    const timers = heldTimers();
    const flushed: string[] = [];
    expect(new KeyCoalescer<string>(0, (k) => flushed.push(k), timers).request('a', 'a')).toBeUndefined();
    expect(flushed).toEqual(['a']);
    const c = new KeyCoalescer<string>(100, (k) => flushed.push(k), timers);
    c.request('b', 'b');
    c.cancel();
    expect(timers.pending.size).toBe(0);
    expect(flushed).toEqual(['a']);
  });
});
