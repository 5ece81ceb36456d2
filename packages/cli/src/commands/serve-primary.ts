import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ConnectionDispatcher,
  type Engine,
  IpcEngineHost,
  IpcLimitsHost,
  IpcPeersHost,
} from '@tidings/server';
import type { Logger } from 'pino';
import { announceListening } from '../announce-listening.js';
import type { LogFormat } from '../log-format.js';
import { EXIT, UsageError } from '../usage-error.js';
import { listenError } from './serve-lifecycle.js';

/** Largest `--workers`: more processes than this only add memory and context switches. */
export const MAX_WORKERS = 64;

/** Parses `--workers`: a whole number of processes from 1 to {@link MAX_WORKERS}. */
export function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(
      `--workers takes a number of processes from 1 to ${MAX_WORKERS} (this machine has ${availableParallelism()} cores); got "${value}".`,
    );
  }
  return n;
}

/** The environment variable that tells a forked process which worker it is. */
export const WORKER_ENV = 'TIDINGS_WORKER';

/** The environment variable that tells a worker the port its primary listens on (for its logs). */
export const WORKER_PORT_ENV = 'TIDINGS_WORKER_PORT';

/** What a worker tells the primary once its hub serves. */
interface ListeningMessage {
  tidings: 'listening';
  /** The hub's `--base-path` ("" for none). */
  basePath: string;
}

/** Where the primary listens for every worker. */
export interface PrimaryListen {
  readonly port: number;
  readonly host: string;
}

/**
 * Opens the port the workers share, in the primary, before any worker is forked: a port in use
 * is a usage error (exit code 2) before any process started.
 */
export async function listenPrimary(at: PrimaryListen): Promise<Server> {
  // Paused: the primary reads no byte of a connection, it only hands it on.
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    // A restarted hub meets every client at once; Node's default backlog (511) drops the SYNs of
    // a reconnect storm and TCP retries them only after 1, 3, 7… s. The kernel caps this at somaxconn.
    server.listen({ port: at.port, host: at.host, backlog: 4096 }, () => {
      server.off('error', fail);
      ok();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    throw listenError(e, at.port, at.host);
  });
  return server;
}

function isListening(m: unknown): m is ListeningMessage {
  return typeof m === 'object' && m !== null && (m as { tidings?: unknown }).tidings === 'listening';
}

/**
 * The primary of `tidings serve --workers N`: accepts every connection on `server` (from
 * {@link listenPrimary}, on `hostName`) and hands it to one of N forked workers ({@link ConnectionDispatcher});
 * without `--redis`, owns the history (`engine`) for all of them through an
 * {@link IpcEngineHost}: workers append and read through it and receive every stored event from
 * it in position order; it keeps every worker's presence. With `--redis` (`engine` undefined) each
 * worker is an ordinary Redis node. Either way it counts every worker's connections and publish
 * rates against the limits ({@link IpcLimitsHost}), so they hold for the hub as a whole, and
 * relays questions between workers ({@link IpcPeersHost}), so `/metrics` and `/admin` on any
 * worker describe all of them. Resolves with the exit code once every worker has stopped.
 */
export function runPrimary(
  workers: number,
  argv: readonly string[],
  engine: Engine | undefined,
  logger: Logger,
  server: Server,
  hostName: string,
  logFormat: LogFormat,
): Promise<number> {
  // Workers run this CLI's own `serve`, whatever script started the primary (a test runner,
  // an embedding program calling main()).
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('../bin.js', import.meta.url)),
    args: ['serve', ...argv],
  });
  const host = engine ? new IpcEngineHost(engine) : undefined;
  const peers = new IpcPeersHost();
  const limits = new IpcLimitsHost();
  const dispatcher = new ConnectionDispatcher();
  server.on('connection', (socket) => dispatcher.dispatch(socket));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const origin = `http://${hostName.includes(':') ? `[${hostName}]` : hostName}:${port}`;
  const listening = new Set<number>();
  let url: string | undefined;
  let announced = false;
  let stopping = false;
  let exitCode: number = EXIT.ok;

  return new Promise<number>((done) => {
    const finish = () => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
      dispatcher.close();
      peers.close();
      (host ? host.close() : Promise.resolve()).then(
        () => {
          logger.flush?.();
          done(exitCode);
        },
        (err: unknown) => {
          logger.error({ err }, 'closing the history failed');
          done(EXIT.failed);
        },
      );
    };
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: stopping every worker');
      server.close();
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      finish();
    };
    const fork = (index: number): Worker => {
      const w = cluster.fork({ [WORKER_ENV]: String(index), [WORKER_PORT_ENV]: String(port) });
      host?.attach(w);
      peers.attach(w);
      limits.attach(w);
      w.on('message', (m: unknown) => {
        if (dispatcher.onMessage(m) || !isListening(m)) return;
        listening.add(index);
        if (!stopping) dispatcher.add(w);
        url ??= `${origin}${m.basePath}`;
        if (listening.size === workers && !stopping && !announced) {
          announced = true;
          announceListening(
            logger,
            logFormat,
            { url, workers },
            `Tidings hub listening on ${url} with ${workers} worker processes`,
          );
        }
      });
      // Whichever comes first: connections it has not confirmed are closed, not left hanging.
      w.on('disconnect', () => dispatcher.remove(w));
      w.on('exit', (code, signal) => {
        dispatcher.remove(w);
        host?.detach(w);
        peers.detach(w);
        limits.detach(w);
        if (stopping) {
          finish();
          return;
        }
        if (listening.size < workers) {
          // A worker that fails to start (port in use, bad configuration) would fail again.
          logger.error({ worker: index, code, signal }, 'a worker failed to start; stopping');
          exitCode = typeof code === 'number' && code !== 0 ? code : EXIT.failed;
          stop('worker-failed');
          return;
        }
        // Its clients reconnect to the other workers and resume; replace it for capacity.
        logger.error({ worker: index, code, signal }, 'a worker exited; starting a replacement');
        fork(index);
      });
      return w;
    };
    for (let i = 1; i <= workers; i++) fork(i);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
