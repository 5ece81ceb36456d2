import Fastify, { type FastifyInstance } from 'fastify';
import { expect, it } from 'vitest';
import { tidingsFastify } from '../../src/adapters/fastify.js';
import type { Hub } from '../../src/index.js';
import { post, StreamReader } from '../helpers.js';
import { adapterSuite, PK, suiteHub } from './adapter-suite.js';

async function start(hub: Hub, hooks?: (app: FastifyInstance) => void) {
  const app = Fastify();
  hooks?.(app);
  app.get('/hello', async (_req, reply) => reply.type('text/plain').send('hello from the app'));
  // The app's own JSON routes keep Fastify's body parser.
  app.post('/echo', async (req) => ({ got: req.body }));
  await app.register(tidingsFastify(hub));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

adapterSuite('Fastify 5', { start: (hub) => start(hub) });

it("runs the app's hooks first: their headers reach the stream, and they can refuse", async () => {
  const hub = suiteHub();
  const running = await start(hub, (app) => {
    app.addHook('onRequest', async (req, reply) => {
      reply.header('x-request-id', 'req-42');
      if (req.headers['x-banned'] === '1') await reply.code(403).send({ error: 'banned by the app' });
    });
  });
  try {
    const r = await StreamReader.open(running.url, ['h'], {
      path: '/live/events',
      headers: { authorization: `Bearer ${PK}` },
    });
    expect(r.response.headers.get('x-request-id')).toBe('req-42');
    await hub.publish({ topic: 'h', type: 'h', data: {} });
    await r.waitForEvents(1, 15_000);
    await r.close();
    const banned = await fetch(`${running.url}/live/events?topic=h`, { headers: { 'x-banned': '1' } });
    expect(banned.status).toBe(403);
    expect(await banned.json()).toEqual({ error: 'banned by the app' });
    const echo = await post(running.url, { a: 1 }, { path: '/echo' });
    expect(echo.body).toEqual({ got: { a: 1 } });
  } finally {
    await running.close();
    await hub.close();
  }
});
