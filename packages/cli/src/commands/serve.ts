import cluster from 'node:cluster';
import { join, resolve } from 'node:path';
import {
  createHub,
  createHubServer,
  type Engine,
  type HistoryStore,
  ipcEngine,
  ipcPeers,
  localEngine,
  MIN_MEMORY_BUDGET,
  memoryStore,
  sqliteRevocations,
  sqliteStore,
} from '@tidings/server';
import { pino } from 'pino';
import { parseFlags } from '../args.js';
import { parseBytes, parseDuration, parsePort, parsePositiveInt } from '../parse-values.js';
import { EXIT, UsageError } from '../usage-error.js';
import { MERCURE_FLAGS, MERCURE_USAGE, mercureFromFlags } from './serve-mercure.js';
import { OBSERVABILITY_USAGE, observability } from './serve-observability.js';
import { parseWorkers, runPrimary, WORKER_ENV } from './serve-primary.js';
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
  --redis-prefix <p>       Key namespace in Redis; hubs with the same one act as one [tidings]
  --presence-ttl <dur>     How long a dead node's connections still count in presence [30s]
  --retention-events <n>   Events kept per topic                          [10000]
  --retention-age <dur>    Oldest event kept per topic (e.g. 30m, 24h)    [24h]
  --heartbeat <dur>        Heartbeat interval on every stream             [15s]
  --retry <dur>            Reconnect delay sent to clients                [3s]
  --max-payload <size>     Largest event payload                          [64KiB]
  --max-body <size>        Largest publish request                        [1MiB]
  --max-buffer <size>      Unsent bytes before a slow client is dropped   [1MiB]
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
                           worker's connections, whichever worker answers   [1]
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
  const { values, positionals } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    memory: { type: 'boolean' },
    durability: { type: 'string' },
    redis: { type: 'string' },
    'redis-prefix': { type: 'string' },
    'presence-ttl': { type: 'string' },
    'retention-events': { type: 'string' },
    'retention-age': { type: 'string' },
    heartbeat: { type: 'string' },
    retry: { type: 'string' },
    'max-payload': { type: 'string' },
    'max-body': { type: 'string' },
    'max-buffer': { type: 'string' },
    'max-memory': { type: 'string' },
    'base-path': { type: 'string' },
    'node-id': { type: 'string' },
    workers: { type: 'string' },
    'log-level': { type: 'string' },
    'metrics-token': { type: 'string' },
    'admin-token': { type: 'string' },
    'topic-labels': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...SECURITY_FLAGS,
    ...MERCURE_FLAGS,
  });
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
    // With --redis every worker is a Redis node; otherwise this process owns the history.
    const primaryEngine =
      values.redis !== undefined ? undefined : localEngine(localHistory(values, retention).store);
    // Workers are named <node id>-<n> (and so are their connection ids), so that one hub's
    // workers share a name in logs, the admin page and presence even without --node-id.
    const nodeId = values['node-id'] ?? Math.random().toString(36).slice(2, 8);
    const workerArgv = values['node-id'] === undefined ? [...argv, '--node-id', nodeId] : argv;
    return runPrimary(workers, workerArgv, primaryEngine, logger);
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
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}${hub.options.basePath}`;
  logger.info({ url: base, history: where, node: hub.nodeId }, `Tidings hub listening on ${base}`);
  if (security.auth) logger.info({}, security.summary);
  else logger.warn({}, security.summary);
  if (mercure.mercure)
    logger.info({ url: `${base}/.well-known/mercure` }, 'Mercure hub on /.well-known/mercure');
  for (const note of mercure.notes) logger.warn({}, note);
  // A machine-readable line for scripts and tests that start the hub on port 0 (the primary
  // prints it for its workers once all of them listen).
  if (worker !== undefined) process.send?.({ tidings: 'listening', url: base });
  else if (!process.stdout.isTTY)
    process.stdout.write(`${JSON.stringify({ tidings: 'listening', url: base })}\n`);

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: closing streams so clients reconnect');
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
