import { attachWebSocket, createHub, type Hub, memoryStore } from '@tidings/server';
import { tidingsFastify } from '@tidings/server/fastify';
import Fastify from 'fastify';

/** A running example. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/** A Fastify 5 app with the hub under `/live` and a route of its own. */
export async function start(port = 0, host = '127.0.0.1'): Promise<Running> {
  const hub = createHub({ basePath: '/live', store: memoryStore() });
  const app = Fastify();
  // The app's hooks run before the hub, as for any route.
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-powered-by', 'fastify');
  });
  await app.register(tidingsFastify(hub));
  app.post<{ Body: { item: string } }>('/orders', async (req, reply) => {
    const { id } = await hub.publish({ topic: 'orders', type: 'order.created', data: req.body });
    return reply.code(201).send({ id });
  });
  await app.listen({ port, host });
  attachWebSocket(app.server, hub);
  return {
    url: `http://${host}:${(app.server.address() as { port: number }).port}`,
    hub,
    async close() {
      await hub.close();
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
