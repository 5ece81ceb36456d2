/**
 * The demo's hub: SQLite history under the data directory, JWT auth with the demo's secret (not
 * dev mode), the WebSocket channel and the job commands of examples/job-monitor.
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  createHub,
  createHubServer,
  type Hub,
  localEngine,
  sqliteRevocations,
  sqliteStore,
} from '@tidings/server';
import { installJobCommands } from '../../../../examples/job-monitor/jobs.js';
import { HUB_COOKIE } from './cookies.js';
import { CyclingJobRunner, installLatestJobCommand } from './job-cycle.js';
import { listen } from './listen.js';
import { HUB_MAX_PAYLOAD_BYTES } from './outgoing-event-check.js';

export interface DemoHubOptions {
  port: number;
  host?: string | undefined;
  dataDir: string;
  secret: Uint8Array;
  publisherKey: string;
  /** Origins of the pages that connect (the backend's), for CORS and the WebSocket origin check. */
  origins: readonly string[];
  /** Heartbeat interval; the client's watchdog fires after three missed ones. @defaultValue 5000 */
  heartbeatMs?: number | undefined;
}

export interface DemoHub {
  hub: Hub;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The job every Operations page shows on first load. */
export const FIRST_JOB_TOTAL = 600;

export async function startDemoHub(o: DemoHubOptions): Promise<DemoHub> {
  const store = sqliteStore({ path: join(o.dataDir, 'history.db') });
  const hub = createHub({
    engine: localEngine(store, undefined, sqliteRevocations({ path: join(o.dataDir, 'revocations.db') })),
    // The hub token comes in the demo's HttpOnly cookie from pages on the same host (so never in
    // a WebSocket URL), or as ?token= / a bearer header from anywhere else.
    auth: { jwt: { secret: o.secret }, publisherKey: o.publisherKey, cookieName: HUB_COOKIE },
    // Credentials: the listed origins (the backend's pages) send that cookie.
    cors: { origins: o.origins, credentials: true },
    maxPayloadBytes: HUB_MAX_PAYLOAD_BYTES,
    heartbeatMs: o.heartbeatMs ?? 5000,
    // A short base delay, so a restarted hub is found again within seconds.
    retryMs: 1000,
  });
  // A slow job (about 5 minutes) so there is always something to pause in the Operations page;
  // a finished one is followed by the next after 30 s.
  const runner = new CyclingJobRunner(hub, { tickMs: 500, total: FIRST_JOB_TOTAL, pauseMs: 30_000 });
  installJobCommands(hub, runner);
  installLatestJobCommand(hub, runner);
  await runner.start(FIRST_JOB_TOTAL, 'system');
  // Given hub.handleNode, it serves the WebSocket channel (/ws) too.
  const server = createHubServer(hub.handleNode);
  const url = await listen(server, o.port, o.host ?? '127.0.0.1', 'hub-port');
  return {
    hub,
    server,
    url,
    async close() {
      runner.close();
      server.close();
      await hub.close();
      server.closeAllConnections();
    },
  };
}
