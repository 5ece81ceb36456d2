import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHub, createHubServer, type Hub, memoryStore } from '@tidings/server';
import { AuditedStore } from './audited-store.js';

/** A running example. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/** A hub on the {@link AuditedStore} (history in memory, audit lines in `auditFile`). */
export async function start(auditFile: string, port = 0, host = '127.0.0.1'): Promise<Running> {
  const hub = createHub({ basePath: '/live', store: new AuditedStore(memoryStore(), auditFile) });
  const server = createHubServer(hub.handleNode);
  server.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    hub,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
