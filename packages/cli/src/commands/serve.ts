import cluster from 'node:cluster';
import { join, resolve } from 'node:path';
import {
  createHub,
  createHubServer,
  type Engine,
  type HistoryStore,
  ipcEngine,
  ipcLimitCounters,
  ipcPeers,
  localEngine,
  MIN_MEMORY_BUDGET,
  memoryStore,
  receiveConnections,
  sqliteRevocations,
  sqliteStore,
} from '@tidings/server';
import { pino } from 'pino';
import { parseFlags } from '../args.js';
import { parseBytes, parseDuration, parsePort, parsePositiveInt } from '../parse-values.js';
import { secretFromFlags } from '../secret-flag.js';
import { EXIT, UsageError } from '../usage-error.js';
import { MERCURE_FLAGS, MERCURE_USAGE, mercureFromFlags } from './serve-mercure.js';
import {
  OBSERVABILITY_FLAGS,
  OBSERVABILITY_USAGE,
  observability,
  observabilitySecrets,
} from './serve-observability.js';
import { listenPrimary, parseWorkers, runPrimary, WORKER_ENV, WORKER_PORT_ENV } from './serve-primary.js';
import { SECURITY_FLAGS, SECURITY_USAGE, securityFromFlags } from './serve-security.js';

export const SERVE_USAGE = `Usage: tidings serve [options]

Runs a hub. History is kept in SQLite under --data unless --memory is given,
or in Redis with --redis, where several hubs run as one (publish, subscribe and
resume on any of them).

Options:
  --port <n>               Port to listen on (0 picks a free one)         [8080]
  --host <addr>            Address to listen on                           [127.0.0.1]
  --data <dir>             Directory of the SQLite history                [./.tidings]
  --memory                 Keep history in memory only (lost on restart)
  --durability <mode>      process: survive kill -9; power: survive power loss [process]
  --redis <url>            Share history, live events, presence and revocations
                           with every hub on this Redis, e.g. redis://127.0.0.1:6379
  --redis-url-file <file>  The same URL read from a file, for a URL with a password
  --redis-prefix <p>       Key namespace in Redis; hubs with the same one act as one [tidings]
  --presence-ttl <dur>     How long a dead node's connections still count in presence [30s]
  --retention-events <n>   Events kept per topic                          [10000]
  --retention-age <dur>    Oldest event kept per topic (e.g. 30m, 24h)    [24h]
  --heartbeat <dur>        Heartbeat interval on every stream             [15s]
  --retry <dur>            Reconnect delay sent to clients                [3s]
  --max-payload <size>     Largest event payload                          [64KiB]
  --max-body <size>        Largest publish request                        [1MiB]
  --max-buffer <size>      Unsent bytes a client may keep queued; above it the
                           client must keep reading, past 4x it the client is
                           dropped at once                                 [1MiB]
  --slow-grace <dur>       How long a client above --max-buffer may read
                           nothing before it is dropped                    [5s]
  --max-memory <size>      Memory budget per process, e.g. 512MiB or 2GiB: past
                           it new streams, resumes and publishes get 503 with
                           Retry-After; open streams keep being served
                           [min(3/4 of the V8 heap limit, 1/2 of RAM)]
  --base-path <path>       Serve under a path prefix, e.g. /realtime
  --node-id <id>           This node's name in ids and logs               [random]
  --workers <n>            Processes sharing the port, one per core; the first
                           process owns the SQLite history for all of them, or
                           with --redis each is a Redis node. They act as one
                           hub: /presence, /metrics and /admin count every
                           worker's connections, whichever worker answers,
                           and every limit holds for the hub as a whole    [1]
  --log-level <level>      fatal, error, warn, info, debug or silent      [info]
${OBSERVABILITY_USAGE}  -h, --help               Show this help
${SECURITY_USAGE}${MERCURE_USAGE}`;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Runs `make`, turning an option's RangeError (e.g. a JWT secret that is too short) into a usage error. */
function configured<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
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

/** `tidings serve`: resolves when the hub has shut down (exit code). */
export async function serve(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    memory: { type: 'boolean' },
    durability: { type: 'string' },
    redis: { type: 'string' },
    'redis-url-file': { type: 'string' },
    'redis-prefix': { type: 'string' },
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
    ...OBSERVABILITY_FLAGS,
    help: { type: 'boolean', short: 'h' },
    ...SECURITY_FLAGS,
    ...MERCURE_FLAGS,
  });
  // The Redis URL may carry a password: the environment keeps it out of the process list.
  const values = { ...flags, redis: redisUrl(flags.redis, flags['redis-url-file']) };
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`tidings serve takes no arguments, got "${positionals[0]}".`);
  if (values.memory && values.data !== undefined) {
    throw new UsageError('--memory and --data exclude each other: choose one place for history.');
  }
  if (values.redis !== undefined) {
    const other = values.memory
      ? '--memory'
      : values.data !== undefined
        ? '--data'
        : values.durability
          ? '--durability'
          : '';
    if (other)
      throw new UsageError(`--redis and ${other} exclude each other: with --redis, history lives in Redis.`);
  } else {
    for (const f of ['redis-prefix', 'presence-ttl'] as const) {
      if (values[f] !== undefined) throw new UsageError(`--${f} only applies with --redis.`);
    }
  }
  if (values.durability !== undefined && values.durability !== 'process' && values.durability !== 'power') {
    throw new UsageError(`--durability is "process" or "power", not "${values.durability}".`);
  }
  const workers = values.workers === undefined ? 1 : parseWorkers(values.workers);
  // Set in each process `--workers` forks; the forking process is the primary.
  const worker = workers > 1 && cluster.isWorker ? (process.env[WORKER_ENV] ?? '0') : undefined;
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.has(level))
    throw new UsageError(`--log-level must be one of ${[...LEVELS].join(', ')}; got "${level}".`);
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

  // Once, in the process the user started (workers read the same flags again).
  const secrets = observabilitySecrets(values);
  if (flags.redis !== undefined && redisPassword(flags.redis)) {
    secrets.warnings.push(
      '--redis carries a password, which every user of this machine sees in the process list; put the URL in a file and pass --redis-url-file <file> instead.',
    );
  }
  if (!cluster.isWorker)
    for (const w of secrets.warnings) process.stderr.write(`tidings serve: warning: ${w}\n`);

  // After the other flags, so a typo is reported before the missing-authentication advice.
  const mercure = mercureFromFlags(values, values.dev === true);
  const security = securityFromFlags(
    values,
    process.env,
    mercure.mercure && mercure.hasKeys ? 'Mercure JWTs' : undefined,
  );

  const logger = pino(
    { level, base: { node: values['node-id'], ...(worker !== undefined && { worker: Number(worker) }) } },
    process.stdout.isTTY
      ? pino.transport({ target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } })
      : undefined,
  );

  if (workers > 1 && cluster.isPrimary) {
    // The port first: one in use stops the start before any process exists.
    const listener = await listenPrimary({ port, host });
    // With --redis every worker is a Redis node; otherwise this process owns the history.
    const primaryEngine =
      values.redis !== undefined ? undefined : localEngine(localHistory(values, retention).store);
    // Every worker opens the revocations file; creating it (schema, WAL mode) here, before any of
    // them starts, leaves them nothing to race for.
    if (values.redis === undefined && !values.memory)
      await sqliteRevocations({ path: revocationsPath(values) }).close();
    // Workers are named <node id>-<n> (and so are their connection ids), so that one hub's
    // workers share a name in logs, the admin page and presence even without --node-id.
    const nodeId = values['node-id'] ?? Math.random().toString(36).slice(2, 8);
    const workerArgv = values['node-id'] === undefined ? [...argv, '--node-id', nodeId] : argv;
    return runPrimary(workers, workerArgv, primaryEngine, logger, listener, host);
  }

  let engine: Engine;
  let where: string;
  if (values.redis !== undefined) {
    // Loaded only here, so ioredis is not loaded by hubs that do not use it.
    const { redisEngine, redactUrl } = await import('@tidings/server/redis');
    const presenceTtlMs =
      values['presence-ttl'] === undefined
        ? undefined
        : parseDuration('presence-ttl', values['presence-ttl']);
    let redis: ReturnType<typeof redisEngine>;
    try {
      redis = redisEngine(values.redis, {
        keyPrefix: values['redis-prefix'],
        retention,
        presenceTtlMs,
        logger,
      });
    } catch (e) {
      // A malformed URL, prefix or TTL: say what is wrong instead of printing a stack.
      if (e instanceof RangeError) throw new UsageError(e.message);
      throw e;
    }
    engine = redis;
    where = `redis ${redactUrl(values.redis)} (prefix ${redis.keys.base.slice(1, -2)})`;
    await redis.ready().catch((e: Error) => {
      logger.warn(
        { err: e.message },
        'Redis is not reachable yet: serving degraded (publishes get 503) until it is; retrying',
      );
    });
  } else if (worker !== undefined) {
    // The primary owns the history; each worker opens the revocations file itself (SQLite
    // serves several processes), or keeps them in memory with --memory.
    engine = await ipcEngine(
      process,
      values.memory ? undefined : sqliteRevocations({ path: revocationsPath(values) }),
    );
    where = `${engine.store.kind} in the primary process (worker ${worker} of ${workers})`;
  } else {
    const history = localHistory(values, retention);
    where = history.where;
    // Forced logouts survive a restart along with the history.
    engine = localEngine(
      history.store,
      undefined,
      values.memory ? undefined : sqliteRevocations({ path: revocationsPath(values) }),
    );
  }

  const hub = configured(() =>
    createHub({
      engine,
      auth: security.auth,
      limits: security.limits,
      // Workers count against the primary's counters: limits hold for the whole hub.
      limitCounters: worker !== undefined ? ipcLimitCounters(process) : undefined,
      cors: security.cors,
      maxTopicsPerSubscription: security.maxTopicsPerSubscription,
      logger,
      heartbeatMs: values.heartbeat === undefined ? undefined : parseDuration('heartbeat', values.heartbeat),
      retryMs: values.retry === undefined ? undefined : parseDuration('retry', values.retry),
      maxPayloadBytes:
        values['max-payload'] === undefined ? undefined : parseBytes('max-payload', values['max-payload']),
      maxBodyBytes: values['max-body'] === undefined ? undefined : parseBytes('max-body', values['max-body']),
      maxBufferBytes:
        values['max-buffer'] === undefined ? undefined : parseBytes('max-buffer', values['max-buffer']),
      slowConsumerGraceMs:
        values['slow-grace'] === undefined ? undefined : parseDuration('slow-grace', values['slow-grace']),
      maxMemoryBytes,
      basePath: values['base-path'],
      nodeId:
        worker !== undefined && values['node-id'] !== undefined
          ? `${values['node-id']}-${worker}`
          : values['node-id'],
      mercure: mercure.mercure,
    }),
  );

  // Every worker answers for itself and asks the others, so /metrics and /admin describe the
  // whole hub whichever worker takes the request.
  const peers = worker !== undefined ? ipcPeers(process) : undefined;
  const stopObservability = observability(hub, logger, level, values, peers);

  // Streams are long-lived by design; only the request head has to arrive promptly (slowloris).
  const server = createHubServer(hub.handleNode, security.server);

  let stopReceiving: (() => void) | undefined;
  if (worker !== undefined) {
    // The primary listens and hands each connection to a worker; this one serves what it gets.
    stopReceiving = receiveConnections(process, server);
    logger.info({ history: where, node: hub.nodeId }, `worker ${worker} of ${workers} serving`);
  } else {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      // A restarted hub meets every client at once; Node's default backlog (511) drops the SYNs of
      // a reconnect storm and TCP retries them only after 1, 3, 7… s. The kernel caps this at somaxconn.
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off('error', fail);
        ok();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        throw new UsageError(`Port ${port} on ${host} is already in use; pass another --port.`);
      if (e.code === 'EACCES')
        throw new UsageError(`Not allowed to listen on port ${port}; pick a port above 1023.`);
      throw e;
    });
  }
  const addr = server.address();
  // A worker does not listen: the port is its primary's.
  const actualPort =
    typeof addr === 'object' && addr ? addr.port : Number(process.env[WORKER_PORT_ENV] ?? port);
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}${hub.options.basePath}`;
  if (worker === undefined)
    logger.info({ url: base, history: where, node: hub.nodeId }, `Tidings hub listening on ${base}`);
  if (security.auth) logger.info({}, security.summary);
  else logger.warn({}, security.summary);
  if (mercure.mercure)
    logger.info({ url: `${base}/.well-known/mercure` }, 'Mercure hub on /.well-known/mercure');
  for (const note of mercure.notes) logger.warn({}, note);
  // A machine-readable line for scripts and tests that start the hub on port 0 (the primary
  // prints it for its workers once all of them serve).
  if (worker !== undefined) process.send?.({ tidings: 'listening', basePath: hub.options.basePath });
  else if (!process.stdout.isTTY)
    process.stdout.write(`${JSON.stringify({ tidings: 'listening', url: base })}\n`);

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: closing streams so clients reconnect');
      stopReceiving?.();
      server.close();
      stopObservability();
      peers?.close();
      hub
        .close()
        .then(() => {
          server.closeAllConnections();
          logger.flush?.();
          // A worker's IPC channel would keep it alive.
          if (worker !== undefined && process.connected) process.disconnect();
          done(EXIT.ok);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          done(EXIT.failed);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // A worker whose primary is gone has no history left: stop, so clients go elsewhere.
    if (worker !== undefined) process.once('disconnect', () => stop('primary-gone'));
  });
}

type ServeValues = {
  memory?: boolean | undefined;
  data?: string | undefined;
  durability?: string | undefined;
};

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
function redisPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** The history of a hub without --redis: SQLite under --data, or memory with --memory. */
function localHistory(
  values: ServeValues,
  retention: { maxEvents: number | undefined; maxAgeMs: number | undefined },
): { store: HistoryStore; where: string } {
  if (values.memory) return { store: memoryStore({ retention }), where: 'memory (lost on restart)' };
  const path = join(resolve(values.data ?? '.tidings'), 'history.db');
  return {
    store: sqliteStore({ path, retention, durability: values.durability as 'process' | 'power' | undefined }),
    where: `sqlite ${path}`,
  };
}

function revocationsPath(values: ServeValues): string {
  return join(resolve(values.data ?? '.tidings'), 'revocations.db');
}
