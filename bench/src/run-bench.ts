import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_USAGE, BenchUsageError, parseBenchOptions, SCENARIO_IDS } from './bench-options.js';
import { loadAverage } from './proc-stats.js';
import { Progress } from './progress.js';
import { type BenchReport, svgChart, textReport } from './report.js';
import type { BenchContext, ScenarioResult } from './scenario-types.js';
import { allScenarios } from './scenarios.js';
import { SERVER_KINDS } from './servers.js';
import { checkTargets } from './targets.js';

const DEFAULT_OUT = fileURLToPath(new URL('../results/', import.meta.url));

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the benchmark suite with `argv` (see {@link BENCH_USAGE}); resolves to the exit code:
 * 0 all results valid, 1 a run failed (loss, duplicates, order, errors) or a generator was
 * saturated, 2 a bad command line.
 */
export async function runBench(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parseBenchOptions>;
  try {
    opts = parseBenchOptions(argv);
  } catch (e) {
    if (e instanceof BenchUsageError) {
      process.stderr.write(`tidings bench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  const progress = new Progress();
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  let serverCpus: string | undefined;
  if (opts.pin && availableParallelism() >= 2 && hasTaskset()) {
    // Children (generator agents) inherit the affinity; servers are started under `taskset -c 0`.
    // On a bigger machine the generator gets every other core (one agent per core, see fanOutRun).
    const last = availableParallelism() - 1;
    const generator = last === 1 ? '1' : `1-${last}`;
    execFileSync('taskset', ['-a', '-p', '-c', generator, String(process.pid)], { stdio: 'ignore' });
    serverCpus = '0';
    progress.log(`Pinned: servers to CPU 0, load generator to CPU ${generator}.`);
  } else {
    progress.log(
      opts.pin
        ? 'Not pinned: taskset is missing or there is only one CPU; server and generator share the cores.'
        : 'Not pinned (--no-pin).',
    );
  }
  const small = Math.max(10, Math.round(opts.subscribers / 10));
  const sizes = opts.quick
    ? { small: Math.min(small, 100), large: opts.subscribers, huge: Math.min(2000, opts.subscribers * 4) }
    : { small, large: opts.subscribers, huge: opts.subscribers * 5 };
  const ctx: BenchContext = {
    progress,
    serverCpus,
    generatorCores: availableParallelism(),
    localAddresses: Array.from({ length: opts.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`),
    durationS: opts.durationS,
    payloadBytes: opts.payloadBytes,
    saturation: 0.9,
    servers: opts.servers.map((n) => SERVER_KINDS[n]!),
  };
  const results: ScenarioResult[] = [];
  for (const s of allScenarios(sizes)) {
    if (!opts.scenarios.includes(s.id)) continue;
    progress.log(`${s.title} [${s.id}]: ${s.describe}`);
    results.push(await s.run(ctx));
  }
  const out = opts.out ?? DEFAULT_OUT;
  const previousPath = join(out, 'latest.json');
  let scenarios = results;
  let updates: unknown[] = [];
  if (opts.update && existsSync(previousPath)) {
    // A re-run of some scenarios replaces theirs and keeps the rest, with a note of when.
    const prev = JSON.parse(readFileSync(previousPath, 'utf8')) as BenchReport;
    const ran = new Set(results.map((r) => r.id));
    scenarios = [...prev.scenarios.filter((s) => !ran.has(s.id)), ...results].sort(
      (a, b) =>
        SCENARIO_IDS.indexOf(a.id as (typeof SCENARIO_IDS)[number]) -
        SCENARIO_IDS.indexOf(b.id as (typeof SCENARIO_IDS)[number]),
    );
    updates = [
      ...((prev.settings.updates as unknown[] | undefined) ?? [
        {
          scenarios: prev.scenarios.map((s) => s.id),
          startedAt: prev.startedAt,
          loadAverageBefore: prev.machine.loadAverageBefore,
        },
      ]),
      { scenarios: [...ran], startedAt, loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
    ];
  }
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAverage(),
      node: process.version,
    },
    settings: {
      quick: opts.quick,
      durationS: opts.durationS,
      subscribers: sizes,
      pinned: serverCpus !== undefined,
      generatorCores: ctx.generatorCores,
      payloadBytes: opts.payloadBytes,
      sourceAddresses: ctx.localAddresses.length,
      ...(updates.length ? { updates } : {}),
    },
    scenarios,
    targets: checkTargets(scenarios),
  };
  const text = textReport(report);
  process.stdout.write(`\n${text}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'latest.svg'), svgChart(report));
  writeFileSync(join(out, 'latest.txt'), text);
  progress.log(`Wrote ${join(out, 'latest.json')}, latest.svg and latest.txt.`);
  const bad = results.flatMap((s) =>
    s.rows
      .filter((r) => r.verdict === 'failed' || r.verdict === 'saturated')
      .map((r) => `${s.id}/${r.server}`),
  );
  if (bad.length) {
    progress.log(`Not valid results (failed or generator saturated): ${bad.join(', ')}.`);
    return 1;
  }
  return 0;
}
