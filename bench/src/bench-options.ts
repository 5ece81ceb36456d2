import { parseArgs } from 'node:util';

/** A bad command line: the runner prints the message and exits with code 2. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

export const SCENARIO_IDS = [
  'fanout-1k',
  'fanout-10k',
  'latency-10',
  'latency-100',
  'many-topics',
  'idle-10k',
  'idle-50k',
  'reconnect-storm',
  'sqlite-publish',
  'workers',
] as const;
export const SERVER_NAMES = ['tidings', 'nchan', 'naive', 'better-sse'] as const;

export const BENCH_USAGE = `Usage: tidings bench [options]

Runs the benchmark suite: the Tidings hub and its peers (nchan when nginx and
libnginx-mod-nchan are installed, better-sse, a naive node:http server), each in
its own process, against a load generator of raw sockets. Prints a table with
ratios to each peer and writes a JSON file and an SVG chart.

Options:
  --quick                  A small, fast smoke run (hundreds of subscribers, 2 s)
  --duration <s>           Seconds each measured phase publishes for       [10]
  --subscribers <n>        The "10k" size; 1k and 50k scale with it        [10000]
  --scenarios <a,b>        Only these (${SCENARIO_IDS.join(', ')})
  --servers <a,b>          Only these (${SERVER_NAMES.join(', ')})
  --out <dir>              Where to write latest.json, latest.svg, latest.txt [bench/results]
  --source-addresses <n>   Subscriber source addresses 127.0.0.1..n        [4]
  --payload <bytes>        Size of each event's JSON payload               [100]
  --no-pin                 Do not pin the server to CPU 0 and the generator to CPU 1
  --update                 Replace only the scenarios run in an existing latest.json
  -h, --help               Show this help

A result is refused (exit code 1) when the generator used more than 90 % of its
cores, and a run fails (exit code 1) on any lost, duplicated or reordered event.
`;

export interface BenchOptions {
  quick: boolean;
  durationS: number;
  subscribers: number;
  scenarios: string[];
  servers: string[];
  out: string | undefined;
  sourceAddresses: number;
  payloadBytes: number;
  pin: boolean;
  update: boolean;
  help: boolean;
}

function positiveInt(flag: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n <= 0 || n > max)
    throw new BenchUsageError(`--${flag} takes a whole number from 1 to ${max}; got "${v}".`);
  return n;
}

function list(flag: string, v: string, allowed: readonly string[]): string[] {
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new BenchUsageError(`--${flag} needs at least one name, such as ${allowed[0]}.`);
  for (const i of items)
    if (!allowed.includes(i))
      throw new BenchUsageError(`--${flag}: "${i}" is not one of ${allowed.join(', ')}. Check the spelling.`);
  return items;
}

/** Parses the command line of `tidings bench` / `npm run bench`. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    const r = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean' },
        duration: { type: 'string' },
        subscribers: { type: 'string' },
        scenarios: { type: 'string' },
        servers: { type: 'string' },
        out: { type: 'string' },
        'source-addresses': { type: 'string' },
        payload: { type: 'string' },
        'no-pin': { type: 'boolean' },
        update: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = r.values;
    positionals = r.positionals;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(err.message)?.[1] ?? 'that option';
      throw new BenchUsageError(`Unknown option ${flag}. Run with --help to see the options.`);
    }
    throw new BenchUsageError(`${err.message.split('\n')[0]}. Run with --help to see the options.`);
  }
  if (positionals.length > 0)
    throw new BenchUsageError(`tidings bench takes no arguments, got "${positionals[0]}". Run with --help.`);
  const quick = values.quick === true;
  const str = (k: string) => values[k] as string | undefined;
  return {
    quick,
    durationS:
      str('duration') === undefined ? (quick ? 2 : 10) : positiveInt('duration', str('duration')!, 600),
    subscribers:
      str('subscribers') === undefined
        ? quick
          ? 500
          : 10_000
        : positiveInt('subscribers', str('subscribers')!, 18_000),
    scenarios:
      str('scenarios') === undefined ? [...SCENARIO_IDS] : list('scenarios', str('scenarios')!, SCENARIO_IDS),
    servers:
      str('servers') === undefined ? [...SERVER_NAMES] : list('servers', str('servers')!, SERVER_NAMES),
    out: str('out'),
    sourceAddresses:
      str('source-addresses') === undefined
        ? 4
        : positiveInt('source-addresses', str('source-addresses')!, 254),
    payloadBytes: str('payload') === undefined ? 100 : positiveInt('payload', str('payload')!, 60_000),
    pin: values['no-pin'] !== true,
    update: values.update === true,
    help: values.help === true,
  };
}
