import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHub, createHubServer, type Hub, memoryStore } from '@tidings/server';
import { tidingsNode } from '@tidings/server/node';

/** A running example. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/** A plain node:http server: the hub under `/live` (SSE, publish, WebSocket), the rest is the app's. */
export async function start(port = 0, host = '127.0.0.1'): Promise<Running> {
  const hub = createHub({ basePath: '/live', store: memoryStore() });
  const server = createHubServer(
    tidingsNode(hub, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('The app answers here.\n');
    }),
  );
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
