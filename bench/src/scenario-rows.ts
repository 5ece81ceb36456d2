import type { BenchContext, Row } from './scenario-types.js';
import type { ServerKind } from './servers.js';

/** The row of a server a scenario could not run against, with the reason. */
export const skipped = (server: string, why: string): Row => ({
  server,
  verdict: 'skipped',
  metrics: {},
  notes: [why],
});

/** Logs a finished row under its scenario's heading. */
export function logRow(ctx: BenchContext, r: Row): void {
  ctx.progress.log(`    ${r.server}: ${r.verdict}${r.notes.length ? ` — ${r.notes.join(' ')}` : ''}`);
}

/** Runs `run` against every chosen server that is available here, logging each row as it ends. */
export async function eachServer(ctx: BenchContext, run: (k: ServerKind) => Promise<Row>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const k of ctx.servers) {
    const why = k.unavailable();
    rows.push(why ? skipped(k.name, why) : await run(k));
    logRow(ctx, rows[rows.length - 1]!);
  }
  return rows;
}
