import { afterEach, describe, expect, it } from 'vitest';
import { HubError } from '../core/errors.js';
import {
  defaultMemoryBudget,
  MemoryAccountant,
  type MemoryAccountantOptions,
  type MemorySample,
  MIN_MEMORY_BUDGET,
} from './memory-accountant.js';

const MiB = 1024 * 1024;

/** An accountant over a hand-set memory reading and clock. */
function setup(budgetMiB: number, o: Partial<MemoryAccountantOptions> = {}) {
  const mem: { -readonly [K in keyof MemorySample]: MemorySample[K] } = {
    rss: 50 * MiB,
    heapTotal: 20 * MiB,
    heapUsed: 20 * MiB,
    external: 10 * MiB,
    heapLimit: 4096 * MiB,
  };
  const clock = { t: 0 };
  const transitions: boolean[] = [];
  const acc = new MemoryAccountant({
    budgetBytes: budgetMiB * MiB,
    sample: () => ({ ...mem }),
    now: () => clock.t,
    refreshMs: 60_000,
    onShedding: (on) => transitions.push(on),
    collectGarbage: false,
    ...o,
  });
  made.push(acc);
  return { acc, mem, clock, transitions };
}

const made: MemoryAccountant[] = [];
afterEach(() => {
  for (const a of made.splice(0)) a.close();
});

function refusal(fn: () => void): HubError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('MemoryAccountant', () => {
  it('admits work that fits and refuses work that would pass the budget with 503 and Retry-After', () => {
    const { acc } = setup(100);
    acc.admit('stream', 10 * MiB);
    const e = refusal(() => acc.admit('body', 51 * MiB));
    expect(e.status).toBe(503);
    expect(e.code).toBe('unavailable');
    expect(e.headers).toEqual({ 'retry-after': '2' });
    expect(e.detail).toEqual({ option: 'maxMemoryBytes', limit: 100 * MiB, retryAfterS: 2 });
    expect(e.message).toMatch(/memory budget of 100 MiB \(maxMemoryBytes\).*retry after 2 s\./);
    expect(acc.snapshot().shed).toEqual({ stream: 0, replay: 0, body: 1 });
  });

  it('counts live memory (heap in use, external, the overhead at the start), not what stays resident after it is freed', () => {
    const { acc, mem } = setup(100);
    // At the start: 50 MiB resident, of which 20 heap and 10 external: 20 MiB of overhead.
    expect(acc.usedBytes()).toBe(50 * MiB);
    mem.heapTotal = 80 * MiB;
    mem.heapUsed = 30 * MiB;
    mem.external = 40 * MiB;
    mem.rss = 150 * MiB;
    acc.sample();
    expect(acc.usedBytes()).toBe(90 * MiB);
    // The buffers and the garbage are freed, but the allocator and V8 keep the pages resident.
    mem.heapUsed = 20 * MiB;
    mem.external = 10 * MiB;
    acc.sample();
    expect(acc.usedBytes()).toBe(50 * MiB);
    acc.admit('stream', 40 * MiB);
  });

  it('counts reservations at once and in full until released', () => {
    const { acc, mem } = setup(100);
    acc.sample();
    expect(acc.usedBytes()).toBe(50 * MiB);
    const r1 = acc.reserve('bodies', 30 * MiB);
    const r2 = acc.reserve('replay', 15 * MiB);
    expect(acc.usedBytes()).toBe(95 * MiB);
    expect(refusal(() => acc.admit('body', 10 * MiB)).status).toBe(503);
    r1();
    r1(); // a second release does nothing
    expect(acc.usedBytes()).toBe(65 * MiB);
    expect(acc.snapshot().held).toEqual({ bodies: 0, replay: 15 * MiB, outbound: 0 });
    // A reservation is memory about to arrive: a new sample does not absorb it.
    mem.external = 20 * MiB;
    acc.sample();
    expect(acc.usedBytes()).toBe(75 * MiB);
    r2();
    expect(acc.usedBytes()).toBe(60 * MiB);
  });

  it('samples again when work is asked for and the last sample is older than sampleMs', () => {
    const { acc, mem, clock } = setup(100);
    acc.admit('stream', 1);
    mem.external = 160 * MiB;
    clock.t = 50;
    acc.admit('stream', 1); // still the old sample
    clock.t = 100;
    expect(refusal(() => acc.admit('stream', 1)).status).toBe(503);
    mem.external = 20 * MiB;
    clock.t = 150;
    expect(refusal(() => acc.admit('stream', 1)).status).toBe(503);
    clock.t = 200;
    acc.admit('stream', 1);
    expect(acc.snapshot().shed.stream).toBe(2);
  });

  it('reports each transition into and out of shedding once', () => {
    const { acc, mem, transitions } = setup(100);
    acc.sample();
    mem.heapUsed = 120 * MiB;
    acc.sample();
    acc.sample();
    expect(acc.snapshot().shedding).toBe(true);
    mem.heapUsed = 60 * MiB;
    acc.sample();
    acc.sample();
    expect(transitions).toEqual([true, false]);
    expect(acc.snapshot().shedding).toBe(false);
  });

  it('refuses work once the V8 heap is 85 % full, whatever the budget', () => {
    const { acc, mem } = setup(8192);
    mem.heapLimit = 1000 * MiB;
    mem.heapTotal = 900 * MiB;
    mem.heapUsed = 860 * MiB;
    acc.sample();
    expect(refusal(() => acc.admit('stream', 1)).status).toBe(503);
    mem.heapUsed = 700 * MiB;
    acc.sample();
    acc.admit('stream', 1);
    expect(refusal(() => acc.admit('body', 200 * MiB)).status).toBe(503);
  });

  it('reads outbound sources at each sample', () => {
    const { acc } = setup(100);
    let queued = 3000;
    acc.addOutboundSource(() => queued);
    acc.addOutboundSource(() => 500);
    acc.sample();
    expect(acc.snapshot().held.outbound).toBe(3500);
    queued = 0;
    acc.sample();
    expect(acc.snapshot().held.outbound).toBe(500);
  });

  it('asks for a full collection when a sample is over budget, at most every collectEveryMs, and believes the sample after it', () => {
    let collections = 0;
    const { acc, mem, clock } = setup(100, {
      collectGarbage: () => {
        collections++;
        mem.heapUsed = 10 * MiB; // the garbage is gone: the heap is mostly free now
      },
    });
    expect(collections).toBe(0);
    mem.heapTotal = 90 * MiB;
    mem.heapUsed = 90 * MiB;
    clock.t = 1000;
    acc.admit('stream', 1);
    expect(collections).toBe(1);
    expect(acc.usedBytes()).toBe(40 * MiB);
    // Over budget for real: one more collection only after collectEveryMs.
    mem.heapUsed = 90 * MiB;
    clock.t = 2000;
    expect(refusal(() => acc.admit('stream', 1)).status).toBe(503);
    expect(collections).toBe(1);
    clock.t = 6000;
    mem.heapUsed = 90 * MiB;
    acc.sample();
    expect(collections).toBe(2);
  });

  it('ignores empty reservations', () => {
    const { acc } = setup(100);
    acc.reserve('bodies', 0)();
    acc.reserve('bodies', -5)();
    expect(acc.snapshot().held.bodies).toBe(0);
  });

  it('refuses budgets below 32 MiB and non-integers with a sentence naming the option', () => {
    expect(() => new MemoryAccountant({ budgetBytes: MIN_MEMORY_BUDGET - 1 })).toThrow(
      /maxMemoryBytes must be a whole number of bytes of at least 33554432 \(32 MiB\)/,
    );
    expect(() => new MemoryAccountant({ budgetBytes: 1.5 * 2 ** 30 + 0.5 })).toThrow(RangeError);
    expect(() => new MemoryAccountant({ budgetBytes: Number.NaN })).toThrow(RangeError);
  });

  it('defaults to a budget below the V8 heap limit and at least 32 MiB, in whole MiB', async () => {
    const { getHeapStatistics } = await import('node:v8');
    const b = defaultMemoryBudget();
    expect(b).toBeGreaterThanOrEqual(MIN_MEMORY_BUDGET);
    expect(b % MiB).toBe(0);
    expect(b).toBeLessThanOrEqual(getHeapStatistics().heap_size_limit * 0.75);
  });

  it('measures the real process when no sample function is given', () => {
    const acc = new MemoryAccountant({ budgetBytes: 64 * 1024 * MiB });
    made.push(acc);
    acc.admit('stream', 1);
    const s = acc.snapshot();
    expect(s.rssBytes).toBeGreaterThan(10 * MiB);
    expect(s.heapUsedBytes).toBeGreaterThan(0);
    // The overhead is taken from the resident set, so the first estimate is close to it.
    expect(s.usedBytes).toBeLessThanOrEqual(s.rssBytes + 16 * MiB);
  });
});
