import { cliHasWorkers } from './cli-has-workers.js';
import { fanOutRun } from './fan-out-run.js';
import { FANOUT_COLUMNS } from './fan-out-scenarios.js';
import { logRow, skipped } from './scenario-rows.js';
import type { Row, Scenario, ScenarioResult } from './scenario-types.js';
import { tidingsKind } from './servers.js';

/** The fan-out run against `tidings serve --workers 2`. */
export function workers(id: string, subscribers: number): Scenario {
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
      for (const r of rows) logRow(ctx, r);
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
