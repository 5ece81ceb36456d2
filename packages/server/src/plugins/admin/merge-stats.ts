import type { ActivitySnapshot, CountEntry } from './activity-tracker.js';
import type { ConnectionRow, HubStats } from './hub-stats.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function mergeCounts(lists: readonly (readonly CountEntry[])[], n: number): CountEntry[] {
  const by = new Map<string, number>();
  for (const l of lists) for (const e of l) by.set(e.name, (by.get(e.name) ?? 0) + e.count);
  return [...by]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([name, count]) => ({ name, count }));
}

function sumRecords(records: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Per-second series of processes that sampled at slightly different moments, aligned on their seconds. */
function mergeSeries(all: readonly ActivitySnapshot[]): ActivitySnapshot['series'] {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const a of all) {
    start = Math.min(start, a.series.start);
    end = Math.max(end, a.series.start + (a.series.published.length - 1) * 1000);
  }
  // The longest of the windows, ending at the latest second any process reached.
  const span = Math.max(...all.map((a) => a.series.published.length));
  start = Math.max(start, end - (span - 1) * 1000);
  const published = new Array<number>(span).fill(0);
  const delivered = new Array<number>(span).fill(0);
  for (const a of all) {
    a.series.published.forEach((v, i) => {
      const k = (a.series.start - start) / 1000 + i;
      if (k >= 0 && k < span) {
        published[k] = (published[k] as number) + v;
        delivered[k] = (delivered[k] as number) + (a.series.delivered[i] ?? 0);
      }
    });
  }
  return { start, published, delivered };
}

function mergeActivity(all: readonly ActivitySnapshot[]): ActivitySnapshot {
  const totals = { ...(all[0] as ActivitySnapshot).totals };
  for (const key of Object.keys(totals) as (keyof typeof totals)[])
    totals[key] = sum(all.map((a) => a.totals[key]));
  const newest = <T extends { time: string }>(xs: T[]) =>
    xs.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  const recentMax = Math.max(...all.map((a) => a.recent.length));
  const slowMax = Math.max(...all.map((a) => a.slowConsumers.length));
  return {
    series: mergeSeries(all),
    publishedPerSecond: sum(all.map((a) => a.publishedPerSecond)),
    deliveredPerSecond: sum(all.map((a) => a.deliveredPerSecond)),
    totals,
    types: mergeCounts(
      all.map((a) => a.types),
      12,
    ),
    topics: mergeCounts(
      all.map((a) => a.topics),
      12,
    ),
    closeReasons: sumRecords(all.map((a) => a.closeReasons)),
    rejectedByCode: mergeCounts(
      all.map((a) => a.rejectedByCode),
      12,
    ),
    recent: newest(all.flatMap((a) => a.recent)).slice(0, recentMax),
    slowConsumers: newest(all.flatMap((a) => a.slowConsumers)).slice(0, slowMax),
  };
}

/**
 * The figures of a hub split over several processes, from each process's own: counts and
 * totals summed, connections listed from all of them (largest outbound queue first, then newest,
 * at most `maxListed`), rankings merged, the event-loop lag of the worst process. `self` is the
 * answering process's figures, which give `node`, `store` and `broker`; `workers` lists the
 * node id of every process counted.
 */
export function mergeStats(all: readonly HubStats[], self: HubStats, maxListed: number): HubStats {
  if (all.length === 0) return self;
  const c = all.map((s) => s.connections);
  const rows: ConnectionRow[] = c
    .flatMap((x) => x.list)
    .sort(
      (a, b) =>
        b.bufferedBytes - a.bufferedBytes || (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0),
    );
  const open = sum(c.map((x) => x.open));
  const list = rows.slice(0, maxListed);
  return {
    node: self.node,
    workers: all.map((s) => s.node).sort(),
    time: self.time,
    uptimeS: Math.max(...all.map((s) => s.uptimeS)),
    store: self.store,
    broker: self.broker,
    connections: {
      open,
      sys: sum(c.map((x) => x.sys)),
      byTransport: sumRecords(c.map((x) => x.byTransport)),
      subscriptions: sum(c.map((x) => x.subscriptions)),
      bufferedBytes: sum(c.map((x) => x.bufferedBytes)),
      list,
      truncated: open > list.length,
    },
    process: {
      heapUsedBytes: sum(all.map((s) => s.process.heapUsedBytes)),
      rssBytes: sum(all.map((s) => s.process.rssBytes)),
      memoryBudgetBytes: sum(all.map((s) => s.process.memoryBudgetBytes)),
      memoryUsedBytes: sum(all.map((s) => s.process.memoryUsedBytes)),
      memoryShed: sum(all.map((s) => s.process.memoryShed)),
      eventLoopLagP99Ms: Math.max(...all.map((s) => s.process.eventLoopLagP99Ms)),
      eventLoopLagMaxMs: Math.max(...all.map((s) => s.process.eventLoopLagMaxMs)),
    },
    activity: mergeActivity(all.map((s) => s.activity)),
  };
}
