import { fanOutRun } from './fan-out-run.js';
import { eachServer } from './scenario-rows.js';
import type { Scenario, ScenarioResult } from './scenario-types.js';

/** The columns of a fan-out throughput table. */
export const FANOUT_COLUMNS = [
  { key: 'deliveriesPerSec', label: 'deliveries/s' },
  { key: 'serverCpuUsPerDelivery', label: 'server µs/delivery' },
  { key: 'p99Ms', label: 'p99 ms' },
  { key: 'generatorCpuShare', label: 'generator CPU' },
];
const LATENCY_COLUMNS = [
  { key: 'p50Ms', label: 'p50 ms' },
  { key: 'p90Ms', label: 'p90 ms' },
  { key: 'p99Ms', label: 'p99 ms' },
  { key: 'maxMs', label: 'max ms' },
  { key: 'deliveriesPerSec', label: 'deliveries/s' },
  { key: 'undelivered', label: 'still queued' },
  { key: 'generatorCpuShare', label: 'generator CPU' },
];

/** Fan-out throughput: as many deliveries as the server makes to `subscribers` on one topic. */
export function fanOut(id: string, subscribers: number): Scenario {
  return {
    id,
    title: `Fan-out throughput, ${subscribers} subscribers on one topic`,
    describe:
      'Publishes as fast as the server delivers (a bounded window ahead of the slowest subscriber): server CPU time per delivery and deliveries per second.',
    async run(ctx): Promise<ScenarioResult> {
      return {
        id,
        title: this.title,
        primary: {
          key: 'serverCpuUsPerDelivery',
          label: 'server CPU per delivery',
          unit: 'µs',
          better: 'lower',
        },
        columns: FANOUT_COLUMNS,
        rows: await eachServer(ctx, (k) =>
          fanOutRun(ctx, k, { subscribers, topics: 1, durationS: ctx.durationS }),
        ),
      };
    },
  };
}

/** Publish→receive latency at a fixed publish rate. */
export function latency(id: string, subscribers: number, rate: number): Scenario {
  return {
    id,
    title: `Latency at ${rate} msg/s, ${subscribers} subscribers on one topic`,
    describe: `Publishes ${rate} events per second (${rate * subscribers} deliveries/s asked): publish→receive p50/p90/p99/max.`,
    async run(ctx): Promise<ScenarioResult> {
      return {
        id,
        title: this.title,
        primary: { key: 'p99Ms', label: 'p99 publish→receive', unit: 'ms', better: 'lower' },
        columns: LATENCY_COLUMNS,
        rows: await eachServer(ctx, (k) =>
          fanOutRun(ctx, k, { subscribers, topics: 1, rate, durationS: ctx.durationS }),
        ),
      };
    },
  };
}

/** One subscriber per topic over `subscribers` topics. */
export function manyTopics(id: string, subscribers: number): Scenario {
  return {
    id,
    title: `Many topics: ${subscribers} subscribers on ${subscribers} topics`,
    describe: 'One subscriber per topic, events published round-robin over the topics, one per request.',
    async run(ctx): Promise<ScenarioResult> {
      return {
        id,
        title: this.title,
        primary: { key: 'deliveriesPerSec', label: 'deliveries/s', unit: '/s', better: 'higher' },
        columns: FANOUT_COLUMNS,
        rows: await eachServer(ctx, (k) =>
          fanOutRun(ctx, k, { subscribers, topics: subscribers, window: 2, durationS: ctx.durationS }),
        ),
      };
    },
  };
}
