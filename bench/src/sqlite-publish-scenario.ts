import { AgentPool } from './agent-pool.js';
import { failIfIncorrect, openStreams } from './fan-out-run.js';
import { benchPayload, HttpPublisher } from './http-publisher.js';
import { treeUsage } from './proc-stats.js';
import { logRow, skipped } from './scenario-rows.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from './scenario-types.js';
import { type RunningServer, tidingsKind } from './servers.js';
import { sleep } from './sleep.js';

/** Publish throughput into a hub with its SQLite history. */
export function sqlitePublish(id: string): Scenario {
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
      for (const r of rows) logRow(ctx, r);
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
