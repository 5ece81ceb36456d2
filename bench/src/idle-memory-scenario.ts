import { AgentPool } from './agent-pool.js';
import { cliHasWorkers } from './cli-has-workers.js';
import { openStreams } from './fan-out-run.js';
import { treeUsage } from './proc-stats.js';
import { eachServer, skipped } from './scenario-rows.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from './scenario-types.js';
import { type RunningServer, type ServerKind, tidingsKind } from './servers.js';
import { sleep } from './sleep.js';

/** Open files one process may hold on this machine, less room for its own files. */
const PROCESS_STREAM_LIMIT = 19_500;

/** Server RSS per idle stream, over `connections` streams. */
export function idleMemory(id: string, connections: number): Scenario {
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
