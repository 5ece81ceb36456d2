import type { Progress } from './progress.js';
import type { ServerKind } from './servers.js';

/** One server's outcome in one scenario. */
export interface Row {
  server: string;
  /**
   * `ok`; `failed` (loss, duplicates, reordering, refused connections or no catch-up: the figures
   * are not a result); `saturated` (the generator was the bottleneck: no result either);
   * `behind` (overloaded: correct so far, but its queue did not drain within the bound; rates are
   * valid, `undelivered` is its backlog); `skipped` (could not run here; `notes` says why).
   */
  verdict: 'ok' | 'failed' | 'saturated' | 'behind' | 'skipped';
  metrics: Record<string, number>;
  notes: string[];
}

/** How a scenario's headline figure reads. */
export interface Primary {
  key: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
}

export interface ScenarioResult {
  id: string;
  title: string;
  primary: Primary;
  /** Further metrics shown in the table. */
  columns: Array<{ key: string; label: string }>;
  rows: Row[];
}

/** What every scenario gets from the runner. */
export interface BenchContext {
  progress: Progress;
  /** `taskset -c` CPU list for servers (undefined: not pinned). */
  serverCpus: string | undefined;
  /** Cores the generator may use (1 when pinned). */
  generatorCores: number;
  /** Source addresses for subscriber connections. */
  localAddresses: string[];
  /** Seconds each measured phase publishes for. */
  durationS: number;
  /** Payload size in bytes. */
  payloadBytes: number;
  /** The generator is saturated above this share of its cores. */
  saturation: number;
  servers: ServerKind[];
}

/** A scenario: its id, what it measures, and how to run it. */
export interface Scenario {
  id: string;
  title: string;
  describe: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
