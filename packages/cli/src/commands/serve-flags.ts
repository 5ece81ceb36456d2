import cluster from 'node:cluster';
import { MIN_MEMORY_BUDGET } from '@tidings/server';
import { type FlagValues, parseFlags } from '../args.js';
import { type LogFormat, parseLogFormat } from '../log-format.js';
import { parseBytes, parseDuration, parsePort, parsePositiveInt } from '../parse-values.js';
import { secretFromFlags } from '../secret-flag.js';
import { UsageError } from '../usage-error.js';
import { MERCURE_FLAGS } from './serve-mercure.js';
import { OBSERVABILITY_FLAGS } from './serve-observability.js';
import { parseWorkers, WORKER_ENV } from './serve-primary.js';
import { SECURITY_FLAGS } from './serve-security.js';

/** Every flag of `tidings serve`. */
export const SERVE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  memory: { type: 'boolean' },
  durability: { type: 'string' },
  redis: { type: 'string' },
  'redis-url-file': { type: 'string' },
  'redis-prefix': { type: 'string' },
  nats: { type: 'string' },
  'nats-prefix': { type: 'string' },
  'redis-cluster': { type: 'string' },
  'redis-replicas': { type: 'string' },
  'presence-ttl': { type: 'string' },
  'retention-events': { type: 'string' },
  'retention-age': { type: 'string' },
  heartbeat: { type: 'string' },
  retry: { type: 'string' },
  'max-payload': { type: 'string' },
  'max-body': { type: 'string' },
  'max-buffer': { type: 'string' },
  'slow-grace': { type: 'string' },
  'max-memory': { type: 'string' },
  'base-path': { type: 'string' },
  'node-id': { type: 'string' },
  workers: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  ...OBSERVABILITY_FLAGS,
  help: { type: 'boolean', short: 'h' },
  ...SECURITY_FLAGS,
  ...MERCURE_FLAGS,
} as const;

/** The flags as given, but `redis`, which holds the URL of `--redis` or of `--redis-url-file`. */
export type ServeValues = FlagValues<typeof SERVE_FLAGS>;

/** Events kept per topic, by count and by age. */
export interface Retention {
  maxEvents: number | undefined;
  maxAgeMs: number | undefined;
}

/** The flags every process of `tidings serve` needs before it chooses its engine. */
export interface ServeSettings {
  readonly workers: number;
  readonly level: string;
  /** `--log-format`, or what suits stdout: pretty on a terminal, JSON otherwise. */
  readonly logFormat: LogFormat;
  readonly port: number;
  readonly host: string;
  readonly maxMemoryBytes: number | undefined;
  readonly retention: Retention;
}

/**
 * Every duration flag of `tidings serve`, checked together before anything starts, so a bare
 * number (`--retention-age 5`) is refused up front, by the primary of `--workers` too.
 */
export const SERVE_DURATION_FLAGS = [
  'presence-ttl',
  'retention-age',
  'heartbeat',
  'retry',
  'slow-grace',
  'max-token-lifetime',
  'headers-timeout',
  'first-byte-timeout',
  'mercure-subscriptions-refresh',
] as const satisfies readonly (keyof typeof SERVE_FLAGS)[];

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Parses the command line of `tidings serve`.
 * @returns the flags, with the Redis URL read from `--redis-url-file`; `redisFlag` is `--redis`
 *   as given, so a password in it can be warned about.
 * @throws UsageError for an unknown flag or a missing value, or both `--redis` and
 *   `--redis-url-file`.
 */
export function parseServeFlags(argv: string[]): {
  values: ServeValues;
  positionals: string[];
  redisFlag: string | undefined;
} {
  const { values: flags, positionals } = parseFlags(argv, SERVE_FLAGS);
  // The Redis URL may carry a password: the environment keeps it out of the process list.
  const values = { ...flags, redis: redisUrl(flags.redis, flags['redis-url-file']) };
  return { values, positionals, redisFlag: flags.redis };
}

/**
 * Checks the flags that exclude each other, and reads those every process needs first.
 * @throws UsageError naming the flag and what to do.
 */
export function checkServeFlags(values: ServeValues, positionals: readonly string[]): ServeSettings {
  if (positionals.length > 0)
    throw new UsageError(`tidings serve takes no arguments, got "${positionals[0]}".`);
  for (const flag of SERVE_DURATION_FLAGS) {
    const value = values[flag];
    if (value !== undefined) parseDuration(flag, value);
  }
  if (values.memory && values.data !== undefined) {
    throw new UsageError('--memory and --data exclude each other: choose one place for history.');
  }
  if (values.redis !== undefined && values['redis-cluster'] !== undefined) {
    throw new UsageError(
      '--redis and --redis-cluster exclude each other: give --redis for a single Redis, --redis-cluster <url>,<url> for the nodes of a Redis Cluster.',
    );
  }
  if (
    values['redis-replicas'] !== undefined &&
    values['redis-cluster'] === undefined &&
    values.redis === undefined
  ) {
    throw new UsageError('--redis-replicas only applies with --redis or --redis-cluster.');
  }
  if (values['redis-cluster'] !== undefined) {
    const other = localHistoryFlag(values);
    if (other) {
      throw new UsageError(
        `--redis-cluster and ${other} exclude each other: with --redis-cluster, history lives in the Redis Cluster.`,
      );
    }
  } else if (values.redis !== undefined) {
    const other = localHistoryFlag(values);
    if (other)
      throw new UsageError(`--redis and ${other} exclude each other: with --redis, history lives in Redis.`);
  } else if (values['redis-prefix'] !== undefined) {
    throw new UsageError('--redis-prefix only applies with --redis.');
  }
  checkNatsFlags(values);
  if (values.durability !== undefined && values.durability !== 'process' && values.durability !== 'power') {
    throw new UsageError(`--durability is "process" or "power", not "${values.durability}".`);
  }
  const workers = values.workers === undefined ? 1 : parseWorkers(values.workers);
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.has(level))
    throw new UsageError(`--log-level must be one of ${[...LEVELS].join(', ')}; got "${level}".`);
  const logFormat = parseLogFormat(values['log-format'], process.stdout);
  const port = values.port === undefined ? 8080 : parsePort('port', values.port);
  // Checked here, so the primary of --workers refuses a bad value before forking anyone.
  const maxMemoryBytes = values['max-memory'] === undefined ? undefined : parseMemory(values['max-memory']);
  const host = values.host ?? '127.0.0.1';
  const retention = {
    maxEvents:
      values['retention-events'] === undefined
        ? undefined
        : parsePositiveInt('retention-events', values['retention-events']),
    maxAgeMs:
      values['retention-age'] === undefined
        ? undefined
        : parseDuration('retention-age', values['retention-age']),
  };
  return { workers, level, logFormat, port, host, maxMemoryBytes, retention };
}

/** The first flag given that keeps history in this process (SQLite or memory), or ''. */
function localHistoryFlag(values: ServeValues): string {
  if (values.memory) return '--memory';
  if (values.data !== undefined) return '--data';
  return values.durability ? '--durability' : '';
}

/** `--nats` excludes the other places for history; `--nats-prefix` and `--presence-ttl` need an engine shared by nodes. */
function checkNatsFlags(values: ServeValues): void {
  if (values.nats !== undefined) {
    const other =
      values.redis !== undefined
        ? '--redis'
        : values['redis-cluster'] !== undefined
          ? '--redis-cluster'
          : localHistoryFlag(values);
    if (other) {
      throw new UsageError(
        `--nats and ${other} exclude each other: with --nats, history lives in NATS JetStream.`,
      );
    }
  } else if (values['nats-prefix'] !== undefined) {
    throw new UsageError('--nats-prefix only applies with --nats.');
  }
  if (
    values['presence-ttl'] !== undefined &&
    values.redis === undefined &&
    values['redis-cluster'] === undefined &&
    values.nats === undefined
  ) {
    throw new UsageError('--presence-ttl only applies with --redis, --redis-cluster or --nats.');
  }
}

/**
 * This process's worker number when it is one of the processes `--workers` forks (the forking
 * process is the primary); undefined otherwise.
 */
export function workerNumber(workers: number): string | undefined {
  return workers > 1 && cluster.isWorker ? (process.env[WORKER_ENV] ?? '0') : undefined;
}

/** `--max-memory`: a size of at least 32 MiB (an idle hub process alone uses about that much). */
function parseMemory(value: string): number {
  const n = parseBytes('max-memory', value);
  if (n < MIN_MEMORY_BUDGET) {
    throw new UsageError(
      `--max-memory must be at least 32MiB, as an idle hub process alone uses about that much; got "${value}". Give a budget such as 512MiB or 2GiB.`,
    );
  }
  return n;
}

/**
 * The Redis URL of `--redis` or `--redis-url-file`. (No environment variable: the test suites
 * already use TIDINGS_REDIS_URL to find their Redis, and a hub must not pick it up.)
 * @throws UsageError when both are given, or the file cannot be read or is empty.
 */
function redisUrl(flag: string | undefined, file: string | undefined): string | undefined {
  if (file === undefined) return flag;
  if (flag !== undefined)
    throw new UsageError('--redis and --redis-url-file exclude each other: give the URL once, in the file.');
  return secretFromFlags({ flag: 'redis-url', value: undefined, file, envName: '', env: {} }).value;
}

/** Whether a Redis URL carries a password (a malformed one is refused later, with its reason). */
export function redisPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}
