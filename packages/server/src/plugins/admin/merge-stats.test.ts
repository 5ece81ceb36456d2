import { describe, expect, it } from 'vitest';
import type { ActivitySnapshot } from './activity-tracker.js';
import type { ConnectionRow, HubStats } from './hub-stats.js';
import { mergeStats } from './merge-stats.js';

const row = (id: string, bufferedBytes: number, openedAt: string): ConnectionRow => ({
  id,
  transport: 'sse',
  user: undefined,
  topics: ['t'],
  remoteAddress: '127.0.0.1',
  openedAt,
  eventsSent: 1,
  bytesSent: 10,
  bufferedBytes,
  sys: false,
});

function activity(
  start: number,
  published: number[],
  extra: Partial<ActivitySnapshot> = {},
): ActivitySnapshot {
  return {
    series: { start, published, delivered: published.map((p) => p * 2) },
    publishedPerSecond: 1,
    deliveredPerSecond: 2,
    totals: {
      published: 10,
      delivered: 20,
      replayed: 1,
      resets: 0,
      connectionsOpened: 3,
      connectionsClosed: 1,
      slowConsumers: 0,
      rejected: 1,
      errors: 0,
    },
    types: [{ name: 'a', count: 5 }],
    topics: [{ name: 'x', count: 4 }],
    closeReasons: { client: 1 },
    rejectedByCode: [],
    recent: [],
    slowConsumers: [],
    ...extra,
  };
}

function stats(node: string, list: ConnectionRow[], open: number, a: ActivitySnapshot): HubStats {
  return {
    node,
    time: '2026-01-01T00:00:00.000Z',
    uptimeS: node === 'n-1' ? 50 : 40,
    store: 'sqlite',
    broker: 'ipc',
    connections: {
      open,
      sys: 0,
      byTransport: { sse: open },
      subscriptions: open,
      bufferedBytes: list.reduce((n, r) => n + r.bufferedBytes, 0),
      list,
      truncated: open > list.length,
    },
    process: {
      heapUsedBytes: 100,
      rssBytes: 1000,
      memoryBudgetBytes: 4000,
      memoryUsedBytes: 900,
      memoryShed: 1,
      eventLoopLagP99Ms: node === 'n-2' ? 9 : 1,
      eventLoopLagMaxMs: 3,
    },
    activity: a,
  };
}

describe('mergeStats', () => {
  it('sums figures, lists connections of every worker by queue then age, and aligns per-second series', () => {
    const one = stats(
      'n-1',
      [row('n-1-1', 0, '2026-01-01T00:00:01.000Z'), row('n-1-2', 500, '2026-01-01T00:00:02.000Z')],
      2,
      activity(10_000, [1, 2, 3], { types: [{ name: 'a', count: 5 }], closeReasons: { client: 1 } }),
    );
    // The second worker sampled one second later.
    const two = stats(
      'n-2',
      [row('n-2-1', 0, '2026-01-01T00:00:03.000Z')],
      3,
      activity(11_000, [10, 20, 30], {
        types: [
          { name: 'b', count: 7 },
          { name: 'a', count: 1 },
        ],
        closeReasons: { client: 2, 'slow-consumer': 1 },
      }),
    );
    const m = mergeStats([two, one], two, 2);
    expect(m.node).toBe('n-2');
    expect(m.workers).toEqual(['n-1', 'n-2']);
    expect(m.uptimeS).toBe(50);
    expect(m.connections).toEqual({
      open: 5,
      sys: 0,
      byTransport: { sse: 5 },
      subscriptions: 5,
      bufferedBytes: 500,
      list: [one.connections.list[1], two.connections.list[0]],
      truncated: true,
    });
    expect(m.process).toEqual({
      heapUsedBytes: 200,
      rssBytes: 2000,
      memoryBudgetBytes: 8000,
      memoryUsedBytes: 1800,
      memoryShed: 2,
      eventLoopLagP99Ms: 9,
      eventLoopLagMaxMs: 3,
    });
    expect(m.activity.series).toEqual({ start: 11_000, published: [12, 23, 30], delivered: [24, 46, 60] });
    expect(m.activity.totals.published).toBe(20);
    expect(m.activity.publishedPerSecond).toBe(2);
    expect(m.activity.types).toEqual([
      { name: 'b', count: 7 },
      { name: 'a', count: 6 },
    ]);
    expect(m.activity.closeReasons).toEqual({ client: 3, 'slow-consumer': 1 });
  });

  it("answers with the process's own figures when no worker answered", () => {
    const self = stats('n-1', [], 0, activity(0, [0]));
    expect(mergeStats([], self, 10)).toBe(self);
  });
});
