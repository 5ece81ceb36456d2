import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { tidingsHono } from '../../src/adapters/hono.js';
import { adapterSuite } from './adapter-suite.js';

adapterSuite('Hono (@hono/node-server)', {
  async start(hub) {
    const app = new Hono();
    app.get('/hello', (c) => c.text('hello from the app'));
    app.all('/live/*', tidingsHono(hub));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    if (!server.listening) await once(server, 'listening');
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async close() {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  },
});
