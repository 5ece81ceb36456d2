import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Engine, IpcEngineHost, IpcPeersHost } from '@tidings/server';
import type { Logger } from 'pino';
import { EXIT, UsageError } from '../usage-error.js';

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

/** What a worker tells the primary once its server listens. */
interface ListeningMessage {
  tidings: 'listening';
  url: string;
}

function isListening(m: unknown): m is ListeningMessage {
  return typeof m === 'object' && m !== null && (m as { tidings?: unknown }).tidings === 'listening';
}

/**
 * The primary of `tidings serve --workers N`: forks N workers that share the port (node:cluster)
 * and, without `--redis`, owns the history (`engine`) for all of them through an
 * {@link IpcEngineHost}: workers append and read through it and receive every stored event from
 * it in position order; it keeps every worker's presence. With `--redis` (`engine` undefined) each
 * worker is an ordinary Redis node. Either way it relays questions between workers
 * ({@link IpcPeersHost}), so `/metrics` and `/admin` on any worker describe all of them.
 * Resolves with the exit code once every worker has stopped.
 */
export function runPrimary(
  workers: number,
  argv: readonly string[],
  engine: Engine | undefined,
  logger: Logger,
): Promise<number> {
  // Workers run this CLI's own `serve`, whatever script started the primary (a test runner,
  // an embedding program calling main()).
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('../bin.js', import.meta.url)),
    args: ['serve', ...argv],
  });
  const host = engine ? new IpcEngineHost(engine) : undefined;
  const peers = new IpcPeersHost();
  const listening = new Set<number>();
  let url: string | undefined;
  let announced = false;
  let stopping = false;
  let exitCode: number = EXIT.ok;

  return new Promise<number>((done) => {
    const finish = () => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
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
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      finish();
    };
    const fork = (index: number): Worker => {
      const w = cluster.fork({ [WORKER_ENV]: String(index) });
      host?.attach(w);
      peers.attach(w);
      w.on('message', (m: unknown) => {
        if (!isListening(m)) return;
        listening.add(index);
        url ??= m.url;
        if (listening.size === workers && !stopping && !announced) {
          announced = true;
          logger.info({ url, workers }, `Tidings hub listening on ${url} with ${workers} worker processes`);
          if (!process.stdout.isTTY)
            process.stdout.write(`${JSON.stringify({ tidings: 'listening', url, workers })}\n`);
        }
      });
      w.on('exit', (code, signal) => {
        host?.detach(w);
        peers.detach(w);
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
