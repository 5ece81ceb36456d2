import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExpiryScheduler } from './expiry-scheduler.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ExpiryScheduler', () => {
  it('fires each id once after its deadline, in deadline order, and never a removed one', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const fired: string[] = [];
    const s = new ExpiryScheduler((id) => fired.push(id));
    const order = Array.from({ length: 200 }, (_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) s.add(`c${i}`, 1_000_000 + i * 1000 + 1);
    s.remove('c50');
    s.add('c10', 1_000_000 + 500_000); // moved later
    vi.advanceTimersByTime(200 * 1000);
    expect(fired).toEqual(
      Array.from({ length: 200 }, (_, i) => `c${i}`).filter((x) => x !== 'c50' && x !== 'c10'),
    );
    vi.advanceTimersByTime(400_000);
    expect(fired.at(-1)).toBe('c10');
    expect(s.size).toBe(0);
    s.close();
  });

  it('handles deadlines further away than a single timer can wait, and ones already past', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: string[] = [];
    const s = new ExpiryScheduler((id) => fired.push(id));
    s.add('far', 40 * 24 * 3600_000);
    s.add('past', -5);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['past']);
    vi.advanceTimersByTime(30 * 24 * 3600_000);
    expect(fired).toEqual(['past']);
    vi.advanceTimersByTime(10 * 24 * 3600_000 + 1000);
    expect(fired).toEqual(['past', 'far']);
    s.close();
  });
});
