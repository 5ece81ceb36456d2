import cluster from 'node:cluster';
import { createHub, createHubServer, ipcLimitCounters, ipcPeers, receiveConnections } from '@tidings/server';
import { pino } from 'pino';
import { announceListening } from '../announce-listening.js';
import { parseBytes, parseDuration } from '../parse-values.js';
import { prettyLogStream } from '../pretty-log-stream.js';
import { EXIT, UsageError } from '../usage-error.js';
import { openEngine, primaryEngine } from './serve-engine.js';
import { checkServeFlags, parseServeFlags, redisPassword, workerNumber } from './serve-flags.js';
import { listen, serveUntilStopped } from './serve-lifecycle.js';
import { mercureFromFlags } from './serve-mercure.js';
import { observability, observabilitySecrets } from './serve-observability.js';
import { listenPrimary, runPrimary, WORKER_PORT_ENV } from './serve-primary.js';
import { securityFromFlags } from './serve-security.js';
import { SERVE_USAGE } from './serve-usage.js';

/** Runs `make`, turning an option's RangeError (e.g. a JWT secret that is too short) into a usage error. */
function configured<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

/** `tidings serve`: resolves when the hub has shut down (exit code). */
export async function serve(argv: string[]): Promise<number> {
  const { values, positionals, redisFlag } = parseServeFlags(argv);
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return EXIT.ok;
  }
  const { workers, level, logFormat, port, host, maxMemoryBytes, retention } = checkServeFlags(
    values,
    positionals,
  );
  // Set in each process `--workers` forks; the forking process is the primary.
  const worker = workerNumber(workers);

  // Once, in the process the user started (workers read the same flags again).
  const secrets = observabilitySecrets(values);
  if (redisFlag !== undefined && redisPassword(redisFlag)) {
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
    logFormat === 'pretty' ? prettyLogStream(process.stdout) : undefined,
  );

  if (workers > 1 && cluster.isPrimary) {
    // The port first: one in use stops the start before any process exists.
    const listener = await listenPrimary({ port, host });
    // With --redis every worker is a Redis node; otherwise this process owns the history.
    const engine = await primaryEngine(values, retention);
    // Workers are named <node id>-<n> (and so are their connection ids), so that one hub's
    // workers share a name in logs, the admin page and presence even without --node-id.
    const nodeId = values['node-id'] ?? Math.random().toString(36).slice(2, 8);
    const workerArgv = values['node-id'] === undefined ? [...argv, '--node-id', nodeId] : argv;
    return runPrimary(workers, workerArgv, engine, logger, listener, host, logFormat);
  }

  const { engine, where } = await openEngine(values, retention, worker, workers, logger);

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
    await listen(server, port, host);
  }
  const addr = server.address();
  // A worker does not listen: the port is its primary's.
  const actualPort =
    typeof addr === 'object' && addr ? addr.port : Number(process.env[WORKER_PORT_ENV] ?? port);
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}${hub.options.basePath}`;
  // One line says the hub serves (in JSON, the machine-readable one scripts wait for); the
  // primary of --workers says it for its workers once all of them serve.
  if (worker === undefined)
    announceListening(
      logger,
      logFormat,
      { url: base, history: where, node: hub.nodeId },
      `Tidings hub listening on ${base}`,
    );
  if (security.auth) logger.info({}, security.summary);
  else logger.warn({}, security.summary);
  if (mercure.mercure)
    logger.info({ url: `${base}/.well-known/mercure` }, 'Mercure hub on /.well-known/mercure');
  for (const note of mercure.notes) logger.warn({}, note);
  if (worker !== undefined) process.send?.({ tidings: 'listening', basePath: hub.options.basePath });

  return serveUntilStopped({ hub, server, logger, stopObservability, stopReceiving, peers, worker });
}
