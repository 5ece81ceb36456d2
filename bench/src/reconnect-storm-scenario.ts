import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentPool } from './agent-pool.js';
import { failIfIncorrect, openStreams } from './fan-out-run.js';
import { benchPayload, HttpPublisher } from './http-publisher.js';
import { logRow, skipped } from './scenario-rows.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from './scenario-types.js';
import { type RunningServer, tidingsKind } from './servers.js';
import { sleep } from './sleep.js';

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

/** Every client resumes with Last-Event-ID after a hub restart: time until all caught up, and loss. */
export function reconnectStorm(id: string, clients: number): Scenario {
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
      for (const r of rows) logRow(ctx, r);
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
