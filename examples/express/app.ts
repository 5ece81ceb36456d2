import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { attachWebSocket, createHub, type Hub, memoryStore } from '@tidings/server';
import { tidingsExpress } from '@tidings/server/express';
import compression from 'compression';
import express from 'express';

/** A running example. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/** An Express 5 app with the hub under `/live` (SSE, publish, WebSocket) and a route of its own. */
export async function start(port = 0, host = '127.0.0.1'): Promise<Running> {
  const hub = createHub({ basePath: '/live', store: memoryStore() });
  const app = express();
  app.use(compression()); // the hub's streams pass through uncompressed and unbuffered
  app.use(tidingsExpress(hub)); // before body parsers: the hub reads its own bodies
  app.use(express.json());
  app.post('/orders', async (req, res) => {
    const { id } = await hub.publish({ topic: 'orders', type: 'order.created', data: req.body });
    res.status(201).json({ id });
  });
  const server = app.listen(port, host);
  await once(server, 'listening');
  attachWebSocket(server, hub);
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
