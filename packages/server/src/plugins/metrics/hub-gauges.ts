import { Counter, Gauge, type Registry } from 'prom-client';
import type { Hub } from '../../core/hub-types.js';

/**
 * The metrics read from the hub at scrape time: open connections, subscriptions, outbound queues
 * and the memory budget. Exact even for connections opened before the observer was attached.
 */
export function registerHubGauges(p: string, registers: Registry[], hubOf: () => Hub | undefined): void {
  new Gauge({
    name: `${p}connections_open`,
    help: 'Open subscriber connections on this node, by transport.',
    labelNames: ['transport'],
    registers,
    collect() {
      this.reset();
      const by = new Map<string, number>([
        ['sse', 0],
        ['websocket', 0],
      ]);
      for (const c of hubOf()?.connections() ?? []) by.set(c.transport, (by.get(c.transport) ?? 0) + 1);
      for (const [transport, n] of by) this.set({ transport }, n);
    },
  });
  new Gauge({
    name: `${p}subscriptions`,
    help: 'Topics and patterns subscribed to, summed over open connections.',
    registers,
    collect() {
      let n = 0;
      for (const c of hubOf()?.connections() ?? []) n += c.topics.length;
      this.set(n);
    },
  });
  new Gauge({
    name: `${p}outbound_buffered_bytes`,
    help: 'Bytes queued for subscribers and not yet handed to the kernel, summed over connections.',
    registers,
    collect() {
      let n = 0;
      for (const c of hubOf()?.connections() ?? []) n += c.bufferedBytes;
      this.set(n);
    },
  });
  new Gauge({
    name: `${p}outbound_buffered_bytes_max`,
    help: 'The largest outbound queue of any one connection, in bytes (near max-buffer means a slow consumer is about to be dropped).',
    registers,
    // Across the worker processes of one hub: the largest, not the sum.
    aggregator: 'max',
    collect() {
      let n = 0;
      for (const c of hubOf()?.connections() ?? []) n = Math.max(n, c.bufferedBytes);
      this.set(n);
    },
  });
  new Gauge({
    name: `${p}memory_budget_bytes`,
    help: 'The memory budget of the hub process (maxMemoryBytes, --max-memory); past it new work gets 503.',
    registers,
    collect() {
      const hub = hubOf();
      if (hub) this.set(hub.memory().budgetBytes);
    },
  });
  new Gauge({
    name: `${p}memory_used_bytes`,
    help: 'What the hub counts against its memory budget: resident memory less the V8 heap unused space, plus reservations since the last sample.',
    registers,
    collect() {
      const hub = hubOf();
      if (hub) this.set(hub.memory().usedBytes);
    },
  });
  new Gauge({
    name: `${p}memory_held_bytes`,
    help: 'Bytes the hub knows it holds, by kind: request bodies being handled, replay pages in flight, outbound queues (an upper bound: frames are shared).',
    labelNames: ['kind'],
    registers,
    collect() {
      const hub = hubOf();
      if (!hub) return;
      for (const [kind, n] of Object.entries(hub.memory().held)) this.set({ kind }, n);
    },
  });
  new Counter({
    name: `${p}memory_shed_total`,
    help: 'Requests refused with 503 because the hub was at its memory budget, by kind of work (stream, replay, body).',
    labelNames: ['work'],
    registers,
    collect() {
      const hub = hubOf();
      if (!hub) return;
      this.reset();
      for (const [work, n] of Object.entries(hub.memory().shed)) this.inc({ work }, n);
    },
  });
}
