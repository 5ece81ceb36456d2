import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../core/stored-event.js';
import { ActivityTracker } from './activity-tracker.js';

const ev = (topic: string, type = 't', dataJson = '{}'): StoredEvent => ({
  id: `${topic}-${Math.random()}`,
  pos: '1',
  topic,
  type,
  ts: 0,
  dataJson,
});

describe('ActivityTracker', () => {
  it('counts per second in a ring, zeroing seconds nobody counted in', () => {
    let now = 1_000_000_000_000;
    const t = new ActivityTracker({ windowSeconds: 60, now: () => now });
    t.published([ev('a'), ev('a')]);
    now += 1000;
    t.published([ev('a')]);
    t.delivered(ev('a'), 5);
    now += 3000;
    t.published([ev('b')]);
    const s = t.snapshot();
    expect(s.series.published.slice(-5)).toEqual([2, 1, 0, 0, 1]);
    expect(s.series.delivered.slice(-5)).toEqual([0, 5, 0, 0, 0]);
    expect(s.series.published).toHaveLength(20);
    expect(s.series.start).toBe(now - 19_000);
    // Past the window, old seconds fall off; the span never exceeds it.
    now += 120_000;
    const later = t.snapshot();
    expect(later.series.published).toHaveLength(60);
    expect(later.series.published.every((x) => x === 0)).toBe(true);
    expect(later.totals.published).toBe(4);
  });

  it('averages the last ten complete seconds', () => {
    let now = 2_000_000_000_000;
    const t = new ActivityTracker({ now: () => now });
    for (let i = 0; i < 10; i++) {
      t.published(Array.from({ length: 7 }, () => ev('x')));
      now += 1000;
    }
    t.published([ev('x')]); // the current second does not count yet
    expect(t.snapshot().publishedPerSecond).toBe(7);
  });

  it('keeps rankings, recent events and slow consumers bounded', () => {
    const t = new ActivityTracker({ maxKeys: 100, recentEvents: 5, previewChars: 8 });
    for (let i = 0; i < 5000; i++) t.published([ev(`topic-${i}`, i % 3 ? 'common' : 'rare')]);
    t.published(Array.from({ length: 50 }, () => ev('hot', 'common', '{"long":"payload"}')));
    expect(t.trackedTopics).toBeLessThanOrEqual(200);
    const s = t.snapshot();
    expect(s.topics[0]).toEqual({ name: 'hot', count: 50 });
    expect(s.types.map((x) => x.name)).toEqual(['common', 'rare']);
    expect(s.recent).toHaveLength(5);
    expect(s.recent[0]).toMatchObject({ topic: 'hot', preview: '{"long":', truncated: true, bytes: 18 });
    for (let i = 0; i < 30; i++) {
      t.slowConsumer({
        id: `c${i}`,
        transport: 'sse',
        user: undefined,
        topics: [],
        remoteAddress: '127.0.0.1',
        openedAt: 0,
        eventsSent: 0,
        bytesSent: 0,
        bufferedBytes: 1,
      });
    }
    expect(
      t
        .snapshot()
        .slowConsumers.map((c) => c.id)
        .slice(0, 2),
    ).toEqual(['c29', 'c28']);
    expect(t.snapshot().slowConsumers).toHaveLength(20);
  });
});
