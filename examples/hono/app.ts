import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { attachWebSocket, createHub, type Hub, memoryStore } from '@tidings/server';
import { tidingsHono } from '@tidings/server/hono';
import { Hono } from 'hono';

/** A running example. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/** A Hono app on `@hono/node-server` with the hub under `/live` and a route of its own. */
export async function start(port = 0, hostname = '127.0.0.1'): Promise<Running> {
  const hub = createHub({ basePath: '/live', store: memoryStore() });
  const app = new Hono();
  app.all('/live/*', tidingsHono(hub));
  app.post('/orders', async (c) => {
    const { id } = await hub.publish({ topic: 'orders', type: 'order.created', data: await c.req.json() });
    return c.json({ id }, 201);
  });
  const server = serve({ fetch: app.fetch, port, hostname }) as Server;
  if (!server.listening) await once(server, 'listening');
  attachWebSocket(server, hub);
  return {
    url: `http://${hostname}:${(server.address() as AddressInfo).port}`,
    hub,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
