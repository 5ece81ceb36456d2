/**
 * What the metrics and admin observers cost on the hot path.
 *
 *   npx tsc -b && node bench/observer-overhead.js   (or: npx tsx bench/observer-overhead.ts)
 *
 * 1. Per hook call: `delivered` and `published` of PrometheusObserver and ActivityTracker, called
 *    directly in a loop (50 topic labels × 10 types).
 * 2. End to end: 100 subscribers on `hub.fetch` streams (drained in process), 20,000 events
 *    published in batches of 100, with no observer and with both; best of 3 runs each.
 */
import { performance } from 'node:perf_hooks';
import {
  ActivityTracker,
  createHub,
  memoryStore,
  PrometheusObserver,
  type StoredEvent,
} from '@tidings/server';

const events: StoredEvent[] = Array.from({ length: 500 }, (_, i) => ({
  id: String(i),
  pos: String(i),
  topic: `t${i % 50}/x/${i}`,
  type: `type-${i % 10}`,
  ts: Date.now(),
  dataJson: '{"a":1}',
}));

function perCall(name: string, fn: (ev: StoredEvent) => void): void {
  const n = 2_000_000;
  for (let i = 0; i < 100_000; i++) fn(events[i % 500] as StoredEvent);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(events[i % 500] as StoredEvent);
  const ns = ((performance.now() - t0) * 1e6) / n;
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(5)} ns/call`);
}

const prom = new PrometheusObserver({ processMetrics: false });
const tracker = new ActivityTracker();
perCall('PrometheusObserver.delivered(ev, 100)', (ev) => prom.delivered(ev, 100));
perCall('ActivityTracker.delivered(ev, 100)', (ev) => tracker.delivered(ev, 100));
perCall('PrometheusObserver.published([ev])', (ev) => prom.published([ev], 0.2));
perCall('ActivityTracker.published([ev])', (ev) => tracker.published([ev]));

async function endToEnd(withObservers: boolean): Promise<number> {
  const hub = createHub({ store: memoryStore({ retention: { maxEvents: 1000 } }) });
  if (withObservers) {
    hub.observe(new PrometheusObserver({ processMetrics: false }));
    hub.observe(new ActivityTracker());
  }
  const drains: Promise<void>[] = [];
  const aborts: AbortController[] = [];
  for (let i = 0; i < 100; i++) {
    const ac = new AbortController();
    aborts.push(ac);
    const res = await hub.fetch(
      new Request('http://hub/events?topic=t1/**&topic=t2/**', { signal: ac.signal }),
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    drains.push(
      (async () => {
        try {
          for (;;) if ((await reader.read()).done) return;
        } catch {
          // aborted
        }
      })(),
    );
  }
  const t0 = performance.now();
  for (let b = 0; b < 200; b++) {
    await hub.publish(
      Array.from({ length: 100 }, (_, i) => ({
        topic: `t${1 + (i % 2)}/x/${i}`,
        type: `type-${i % 10}`,
        data: i,
      })),
    );
    await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  for (const a of aborts) a.abort();
  await hub.close();
  await Promise.all(drains);
  return ms;
}

const runs = { without: [] as number[], with: [] as number[] };
for (let i = 0; i < 3; i++) {
  runs.without.push(await endToEnd(false));
  runs.with.push(await endToEnd(true));
}
const best = (a: number[]) => Math.min(...a);
const deliveries = 20_000 * 100;
console.log(
  `end to end, 2,000,000 deliveries: without observers ${best(runs.without).toFixed(0)} ms, with metrics + tracker ${best(runs.with).toFixed(0)} ms (${(((best(runs.with) - best(runs.without)) * 1e6) / deliveries).toFixed(0)} ns per delivery)`,
);
