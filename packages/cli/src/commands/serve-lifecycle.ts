import type { Server } from 'node:http';
import type { Hub } from '@tidings/server';
import type { Logger } from 'pino';
import { EXIT, UsageError } from '../usage-error.js';

/**
 * Listens on `port` and `host`.
 * @throws UsageError when the port is in use or not allowed.
 */
export async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    // A restarted hub meets every client at once; Node's default backlog (511) drops the SYNs of
    // a reconnect storm and TCP retries them only after 1, 3, 7… s. The kernel caps this at somaxconn.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', fail);
      ok();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    throw listenError(e, port, host);
  });
}

/**
 * A failure to listen as what to do about it: a port in use (which one, and the command with
 * another port) or not allowed become {@link UsageError}s (exit code 2); anything else stays as it was.
 */
export function listenError(e: NodeJS.ErrnoException, port: number, host: string): Error {
  if (e.code === 'EADDRINUSE') {
    const other = port === 0 || port === 65535 ? 8080 : port + 1;
    return new UsageError(
      `Port ${port} on ${host} is already in use (perhaps by a hub that is still running); stop what uses it, or start on another port: tidings serve --port ${other} (--port 0 picks a free one).`,
    );
  }
  if (e.code === 'EACCES')
    return new UsageError(
      `Not allowed to listen on port ${port}; pick a port above 1023: tidings serve --port 8080.`,
    );
  return e;
}

/** What a serving process stops when it is told to. */
export interface ServingProcess {
  readonly hub: Hub;
  readonly server: Server;
  readonly logger: Logger;
  /** Stops the metrics, admin and log observers. */
  readonly stopObservability: () => void;
  /** A worker's: stops taking connections from the primary. */
  readonly stopReceiving?: (() => void) | undefined;
  /** A worker's link to the other workers. */
  readonly peers?: { close(): void } | undefined;
  /** This process's worker number, undefined when it serves alone. */
  readonly worker: string | undefined;
}

/**
 * Serves until SIGTERM or SIGINT (or, in a worker, until its primary is gone), then closes the
 * streams so clients reconnect elsewhere.
 * @returns the exit code: ok once the hub has closed, failed when closing failed.
 */
export function serveUntilStopped(p: ServingProcess): Promise<number> {
  const { hub, server, logger, worker } = p;
  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: closing streams so clients reconnect');
      p.stopReceiving?.();
      server.close();
      p.stopObservability();
      p.peers?.close();
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
