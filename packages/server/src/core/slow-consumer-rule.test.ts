import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Drainable, REPLAY_HIGH_WATER, SlowConsumerRule } from './slow-consumer-rule.js';

/** A connection whose queue and progress the test sets by hand. */
class Fake implements Drainable {
  bufferedBytes = 0;
  sentBytes = 0;
  closedWith: string | undefined;
  isClosed(): boolean {
    return this.closedWith !== undefined;
  }
  close(reason: 'slow-consumer'): void {
    this.closedWith = reason;
  }
}

const KiB = 1024;

describe('SlowConsumerRule', () => {
  let rule: SlowConsumerRule;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'performance'] });
    rule = new SlowConsumerRule({ maxBufferBytes: 100 * KiB, graceMs: 1000 });
  });
  afterEach(() => {
    rule.close();
    vi.useRealTimers();
  });

  it('derives its numbers from the limit: hard cap 4 ×, replay high water at most 64 KiB', () => {
    expect(rule.hardCap).toBe(400 * KiB);
    expect(rule.replayHighWater).toBe(REPLAY_HIGH_WATER);
    expect(new SlowConsumerRule({ maxBufferBytes: 8 * KiB, graceMs: 1000 }).replayHighWater).toBe(8 * KiB);
  });

  it('cuts a queue above the limit whose reader takes nothing for the grace period', () => {
    const c = new Fake();
    c.bufferedBytes = 150 * KiB;
    rule.overLimit(c, c.bufferedBytes);
    vi.advanceTimersByTime(750);
    expect(c.closedWith).toBeUndefined();
    vi.advanceTimersByTime(500);
    expect(c.closedWith).toBe('slow-consumer');
    expect(rule.watched).toBe(0);
  });

  it('keeps a reader that takes bytes within every grace period, however long it stays above the limit', () => {
    const c = new Fake();
    c.bufferedBytes = 390 * KiB;
    rule.overLimit(c, c.bufferedBytes);
    for (let t = 0; t < 20; t++) {
      vi.advanceTimersByTime(750);
      c.sentBytes += 1;
    }
    expect(c.closedWith).toBeUndefined();
    expect(rule.watched).toBe(1);
  });

  it('stops watching a queue back under the limit, and the sweep stops with it', () => {
    const c = new Fake();
    c.bufferedBytes = 150 * KiB;
    rule.overLimit(c, c.bufferedBytes);
    c.bufferedBytes = 10 * KiB;
    vi.advanceTimersByTime(250);
    expect(rule.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(c.closedWith).toBeUndefined();
  });

  it('cuts a queue still past the hard cap 20 ms after the write, not one the socket took meanwhile', () => {
    const stuck = new Fake();
    const burst = new Fake();
    stuck.bufferedBytes = 500 * KiB;
    burst.bufferedBytes = 500 * KiB;
    rule.overLimit(stuck, stuck.bufferedBytes);
    rule.overLimit(burst, burst.bufferedBytes);
    expect(stuck.closedWith).toBeUndefined();
    burst.bufferedBytes = 120 * KiB;
    burst.sentBytes += 380 * KiB;
    vi.advanceTimersByTime(20);
    expect(stuck.closedWith).toBe('slow-consumer');
    expect(burst.closedWith).toBeUndefined();
  });

  it('judges nobody on a late sweep: a blocked event loop is not the readers’ fault', () => {
    const c = new Fake();
    c.bufferedBytes = 150 * KiB;
    rule.overLimit(c, c.bufferedBytes);
    vi.advanceTimersByTime(250);
    // The loop was blocked for two seconds: the next sweep runs late and only restarts the clock.
    const now = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(now + 2000);
    vi.advanceTimersByTime(250);
    vi.mocked(performance.now).mockRestore();
    expect(c.closedWith).toBeUndefined();
  });
});
