import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentPool } from './agent-pool.js';
import { failIfIncorrect, fanOutRun, openStreams } from './fan-out-run.js';
import { benchPayload, HttpPublisher } from './http-publisher.js';
import { treeUsage } from './proc-stats.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from './scenario-types.js';
import { type RunningServer, type ServerKind, TIDINGS_BIN, tidingsKind } from './servers.js';

/** Subscriber counts of the scenarios: the issue's, or small ones for `--quick`. */
export interface Sizes {
  small: number;
  large: number;
  huge: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Open files one process may hold on this machine, less room for its own files. */
const PROCESS_STREAM_LIMIT = 19_500;

const skipped = (server: string, why: string): Row => ({
  server,
  verdict: 'skipped',
  metrics: {},
  notes: [why],
});

async function eachServer(ctx: BenchContext, run: (k: ServerKind) => Promise<Row>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const k of ctx.servers) {
    const why = k.unavailable();
    rows.push(why ? skipped(k.name, why) : await run(k));
    const r = rows[rows.length - 1]!;
    ctx.progress.log(`    ${r.server}: ${r.verdict}${r.notes.length ? ` — ${r.notes.join(' ')}` : ''}`);
  }
  return rows;
}

const FANOUT_COLUMNS = [
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

function fanOut(id: string, subscribers: number): Scenario {
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

function latency(id: string, subscribers: number, rate: number): Scenario {
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

function manyTopics(id: string, subscribers: number): Scenario {
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

function idleMemory(id: string, connections: number): Scenario {
  return {
    id,
    title: `Idle memory, ${connections} connections`,
    describe:
      'Server RSS (all its processes, from /proc) before and after opening the streams, divided by their number.',
    async run(ctx): Promise<ScenarioResult> {
      return {
        id,
        title: this.title,
        primary: {
          key: 'rssBytesPerConnection',
          label: 'RSS per idle connection',
          unit: 'B',
          better: 'lower',
        },
        columns: [
          { key: 'rssBytesPerConnection', label: 'bytes/conn' },
          { key: 'rssBeforeMiB', label: 'RSS before MiB' },
          { key: 'rssAfterMiB', label: 'RSS after MiB' },
        ],
        rows: await eachServer(ctx, async (kind) => {
          let k = kind;
          if (connections > PROCESS_STREAM_LIMIT && k.name === 'tidings' && cliHasWorkers()) {
            // One process may hold 20,000 files here: spread the streams over worker processes
            // (`tidings serve --workers N`) and count the RSS of them all.
            k = tidingsKind({
              store: 'memory',
              workers: Math.ceil(connections / (PROCESS_STREAM_LIMIT - 2_000)),
            });
          }
          if (connections > PROCESS_STREAM_LIMIT && !k.name.includes('×'))
            return skipped(
              k.name,
              `${connections} connections need more than the 20,000 open files one process may hold here; run it on a machine with a higher limit.`,
            );
          const needed = Math.ceil(connections / 27_000);
          if (ctx.localAddresses.length < needed)
            return skipped(
              k.name,
              `${connections} connections need ${needed} source addresses (--source-addresses).`,
            );
          return idleRun(ctx, k, connections);
        }),
      };
    },
  };
}

async function idleRun(ctx: BenchContext, kind: ServerKind, connections: number): Promise<Row> {
  const row: Row = { server: kind.name, verdict: 'ok', metrics: {}, notes: [] };
  let server: RunningServer | undefined;
  let pool: AgentPool | undefined;
  try {
    server = await kind.start({ cpus: ctx.serverCpus });
    await sleep(1000);
    const before = treeUsage(server.pid).rss;
    pool = AgentPool.start(connections);
    const paths = Array.from({ length: connections }, (_, i) => server!.subscribePath(`idle${i % 100}`));
    const failure = await openStreams(ctx, pool, server, paths);
    if (failure) {
      row.verdict = 'failed';
      row.notes.push(failure);
      return row;
    }
    // Let allocations settle (and a GC run in the Node servers) before reading RSS.
    for (let i = 0; i < 30; i++) {
      ctx.progress.bar(`${kind.name}: settling`, i / 30);
      await sleep(100);
    }
    const after = treeUsage(server.pid).rss;
    const st = await pool.settle();
    if (st.open !== connections || st.failed > 0) {
      row.verdict = 'failed';
      row.notes.push(`${connections - st.open} streams were dropped while idle: ${st.errors.join(' ')}`);
    }
    Object.assign(row.metrics, {
      connections,
      rssBeforeMiB: before / 2 ** 20,
      rssAfterMiB: after / 2 ** 20,
      rssBytesPerConnection: (after - before) / connections,
    });
    return row;
  } catch (e) {
    row.verdict = 'failed';
    row.notes.push((e as Error).message);
    return row;
  } finally {
    await pool?.close();
    await server?.stop();
  }
}

/** Publishes `n` events to topic `b0` as fast as accepted; resolves when all were accepted. */
async function publishBurst(
  pub: HttpPublisher,
  server: RunningServer,
  from: number,
  n: number,
  payload: number,
): Promise<void> {
  const acks: Array<Promise<void>> = [];
  for (let s = from; s < from + n; s++) {
    acks.push(pub.send(server.publishRequest('b0', benchPayload(s, payload))));
    if (pub.inFlight > 64) await Promise.race(acks.slice(-64));
  }
  await Promise.all(acks);
}

function reconnectStorm(id: string, clients: number): Scenario {
  return {
    id,
    title: `Reconnect storm: ${clients} clients resume after a hub restart`,
    describe:
      'Clients read 20 events, the hub restarts (SQLite history kept), 20 more are published at once while every client reconnects with Last-Event-ID (after 50-250 ms, retrying): time from the restart until all have all 40, loss.',
    async run(ctx): Promise<ScenarioResult> {
      const rows: Row[] = [];
      const kind = ctx.servers.find((k) => k.name === 'tidings');
      if (kind) rows.push(await stormRun(ctx, clients));
      for (const k of ctx.servers)
        if (k.name !== 'tidings')
          rows.push(skipped(k.name, 'Only the Tidings hub keeps history to resume from here.'));
      for (const r of rows)
        ctx.progress.log(`    ${r.server}: ${r.verdict}${r.notes.length ? ` — ${r.notes.join(' ')}` : ''}`);
      return {
        id,
        title: this.title,
        primary: { key: 'catchUpMs', label: 'time until all caught up', unit: 'ms', better: 'lower' },
        columns: [
          { key: 'catchUpMs', label: 'catch-up ms' },
          { key: 'lost', label: 'lost' },
          { key: 'duplicates', label: 'duplicates' },
        ],
        rows,
      };
    },
  };
}

async function stormRun(ctx: BenchContext, clients: number): Promise<Row> {
  const row: Row = { server: 'tidings', verdict: 'ok', metrics: {}, notes: [] };
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-storm-'));
  const kind = tidingsKind({ store: 'sqlite', dataDir });
  let server: RunningServer | undefined;
  let pool: AgentPool | undefined;
  let pub: HttpPublisher | undefined;
  const half = 20;
  try {
    server = await kind.start({ cpus: ctx.serverCpus });
    const port = server.port;
    pool = AgentPool.start(clients);
    const paths = Array.from({ length: clients }, () => server!.subscribePath('b0'));
    const failure = await openStreams(ctx, pool, server, paths, true);
    if (failure) throw new Error(failure);
    pub = await HttpPublisher.open(port, 2);
    await publishBurst(pub, server, 1, half, ctx.payloadBytes);
    pub.close();
    while ((await pool.settle()).low < half) await sleep(20);
    ctx.progress.bar('tidings: restarting the hub', 0);
    await server.stop();
    while ((await pool.settle()).open > 0) await sleep(20);
    server = await kind.start({ cpus: ctx.serverCpus, port });
    const t0 = performance.now();
    pub = await HttpPublisher.open(port, 2);
    await publishBurst(pub, server, half + 1, half, ctx.payloadBytes);
    const deadline = t0 + 60_000;
    let st = await pool.settle();
    while (st.low < 2 * half && performance.now() < deadline) {
      ctx.progress.bar('tidings: clients catching up', st.open / clients, `${st.open}/${clients} back`);
      await sleep(10);
      st = pool.status();
    }
    const t1 = performance.now();
    const c = await pool.collect(() => 2 * half);
    Object.assign(row.metrics, {
      clients,
      catchUpMs: t1 - t0,
      lost: c.summary.lost,
      duplicates: c.summary.duplicates,
      reordered: c.summary.reordered,
    });
    if (st.low < 2 * half) {
      row.verdict = 'failed';
      row.notes.push(
        `Not every client caught up within 60 s: ${st.open} of ${clients} streams were open, ${st.failed} attempts failed${st.errors.length ? ` (${st.errors.join(' ')})` : ''}.`,
      );
    }
    failIfIncorrect(row, c.summary);
    return row;
  } catch (e) {
    row.verdict = 'failed';
    row.notes.push((e as Error).message);
    return row;
  } finally {
    pub?.close();
    await pool?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function sqlitePublish(id: string): Scenario {
  return {
    id,
    title: 'Publish throughput into the SQLite store',
    describe:
      'One event per request, up to 64 requests in flight on 2 keep-alive connections, into a hub with its default SQLite history; one subscriber checks every event arrives once, in order.',
    async run(ctx): Promise<ScenarioResult> {
      const rows: Row[] = [];
      if (ctx.servers.some((k) => k.name === 'tidings')) rows.push(await sqliteRun(ctx));
      for (const k of ctx.servers)
        if (k.name !== 'tidings') rows.push(skipped(k.name, 'The peers have no durable store.'));
      for (const r of rows)
        ctx.progress.log(`    ${r.server}: ${r.verdict}${r.notes.length ? ` — ${r.notes.join(' ')}` : ''}`);
      return {
        id,
        title: this.title,
        primary: { key: 'eventsPerSec', label: 'events stored per second', unit: '/s', better: 'higher' },
        columns: [
          { key: 'eventsPerSec', label: 'events/s' },
          { key: 'serverCpuUsPerEvent', label: 'server µs/event' },
        ],
        rows,
      };
    },
  };
}

async function sqliteRun(ctx: BenchContext): Promise<Row> {
  const row: Row = { server: 'tidings', verdict: 'ok', metrics: {}, notes: [] };
  const kind = tidingsKind({ store: 'sqlite' });
  let server: RunningServer | undefined;
  let pool: AgentPool | undefined;
  let pub: HttpPublisher | undefined;
  try {
    server = await kind.start({ cpus: ctx.serverCpus });
    pool = AgentPool.start(1);
    const failure = await openStreams(ctx, pool, server, [server.subscribePath('b0')]);
    if (failure) throw new Error(failure);
    pub = await HttpPublisher.open(server.port, 2);
    const cpu0 = treeUsage(server.pid).cpu;
    const t0 = performance.now();
    const end = t0 + ctx.durationS * 1000;
    let seq = 0;
    let failed: Error | undefined;
    let acked = 0;
    while (performance.now() < end && !failed) {
      while (pub.inFlight < 64) {
        pub.send(server.publishRequest('b0', benchPayload(++seq, ctx.payloadBytes))).then(
          () => {
            acked++;
          },
          (e: Error) => {
            failed ??= e;
          },
        );
      }
      ctx.progress.bar(
        'tidings: publishing into SQLite',
        (performance.now() - t0) / (end - t0),
        `${acked} stored`,
      );
      await sleep(1);
    }
    while (pub.inFlight > 0 && !failed) await sleep(1);
    const t1 = performance.now();
    const cpu1 = treeUsage(server.pid).cpu;
    const drain = performance.now() + 30_000;
    while ((await pool.settle()).low < seq && performance.now() < drain) await sleep(20);
    const c = await pool.collect(() => seq);
    Object.assign(row.metrics, {
      events: acked,
      eventsPerSec: acked / ((t1 - t0) / 1000),
      serverCpuUsPerEvent: ((cpu1 - cpu0) * 1e6) / Math.max(1, acked),
      lost: c.summary.lost,
      duplicates: c.summary.duplicates,
      reordered: c.summary.reordered,
    });
    if (failed) {
      row.verdict = 'failed';
      row.notes.push(`Publishing failed: ${failed.message}`);
    }
    failIfIncorrect(row, c.summary);
    return row;
  } catch (e) {
    row.verdict = 'failed';
    row.notes.push((e as Error).message);
    return row;
  } finally {
    pub?.close();
    await pool?.close();
    await server?.stop();
  }
}

/** True when the built CLI's `serve` knows `--workers`. */
export function cliHasWorkers(): boolean {
  try {
    return execFileSync(process.execPath, [TIDINGS_BIN, 'serve', '--help'], { encoding: 'utf8' }).includes(
      '--workers',
    );
  } catch {
    return false;
  }
}

function workers(id: string, subscribers: number): Scenario {
  return {
    id,
    title: `Both cores: tidings serve --workers 2, ${subscribers} subscribers on one topic`,
    describe:
      'The fan-out throughput run against a hub of two processes sharing the port (not pinned, so it competes with the generator for the second core).',
    async run(ctx): Promise<ScenarioResult> {
      const rows: Row[] = [];
      if (!ctx.servers.some((k) => k.name === 'tidings')) {
        // Nothing to compare: the scenario only measures the hub.
      } else if (!cliHasWorkers()) {
        rows.push(
          skipped(
            'tidings×2',
            'This build of tidings serve has no --workers option yet, so the two-process scenario cannot run.',
          ),
        );
      } else {
        rows.push(
          await fanOutRun(ctx, tidingsKind({ store: 'memory', workers: 2 }), {
            subscribers,
            topics: 1,
            durationS: ctx.durationS,
            pin: false,
          }),
        );
      }
      for (const r of rows)
        ctx.progress.log(`    ${r.server}: ${r.verdict}${r.notes.length ? ` — ${r.notes.join(' ')}` : ''}`);
      return {
        id,
        title: this.title,
        primary: { key: 'deliveriesPerSec', label: 'deliveries/s', unit: '/s', better: 'higher' },
        columns: FANOUT_COLUMNS,
        rows,
      };
    },
  };
}

/** Every scenario, in run order. */
export function allScenarios(sizes: Sizes): Scenario[] {
  return [
    fanOut('fanout-1k', sizes.small),
    fanOut('fanout-10k', sizes.large),
    latency('latency-10', sizes.large, 10),
    latency('latency-100', sizes.large, 100),
    manyTopics('many-topics', sizes.large),
    idleMemory('idle-10k', sizes.large),
    reconnectStorm('reconnect-storm', sizes.large),
    sqlitePublish('sqlite-publish'),
    workers('workers', sizes.large),
    // Last: its 50k closed connections leave as many ports in TIME_WAIT on the source addresses
    // for a minute, and a scenario after it could not bind enough new ones (the storm took 26 s
    // instead of 4 behind it, its clients retrying EADDRINUSE).
    idleMemory('idle-50k', sizes.huge),
  ];
}
