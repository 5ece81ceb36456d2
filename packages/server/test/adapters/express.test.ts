import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import compression from 'compression';
import express from 'express';
import { expect, it } from 'vitest';
import { tidingsExpress } from '../../src/adapters/express.js';
import { post, StreamReader } from '../helpers.js';
import { adapterSuite, PK, suiteHub } from './adapter-suite.js';

async function listen(app: express.Express) {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

adapterSuite('Express 5', {
  async start(hub) {
    const app = express();
    app.use(tidingsExpress(hub));
    app.get('/hello', (_req, res) => {
      res.type('text/plain').send('hello from the app');
    });
    return listen(app);
  },
});

it('delivers events promptly behind the compression middleware, uncompressed', async () => {
  const hub = suiteHub();
  const app = express();
  // threshold 0: compress everything compressible, to prove the stream is exempt.
  app.use(compression({ threshold: 0 }));
  app.use(tidingsExpress(hub));
  app.get('/hello', (_req, res) => {
    res.type('text/plain').send('hello from the app '.repeat(50));
  });
  const running = await listen(app);
  try {
    // The app's own responses are compressed: the middleware is really active.
    const hello = await fetch(`${running.url}/hello`, { headers: { 'accept-encoding': 'gzip' } });
    expect(hello.headers.get('content-encoding')).toBe('gzip');
    const r = await StreamReader.open(running.url, ['z'], {
      path: '/live/events',
      headers: { authorization: `Bearer ${PK}`, 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(r.response.headers.get('content-encoding')).toBeNull();
    expect(r.response.headers.get('cache-control')).toContain('no-transform');
    // Each event arrives while the stream stays open: nothing waits for a buffer to fill.
    for (let i = 0; i < 3; i++) {
      await hub.publish({ topic: 'z', type: 'z', data: { i } });
      await r.waitForEvents(i + 1, 15_000);
    }
    await r.close();
  } finally {
    await running.close();
    await hub.close();
  }
});

it('refuses a body another middleware already read, saying to mount the hub first', async () => {
  const hub = suiteHub();
  const app = express();
  app.use(express.json());
  app.use(tidingsExpress(hub));
  const running = await listen(app);
  try {
    const res = await post(
      running.url,
      { topic: 'x', type: 'x', data: {} },
      { path: '/live/publish', headers: { authorization: `Bearer ${PK}` } },
    );
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('body-already-read');
    expect(res.body.error.message).toContain('before body parsers');
  } finally {
    await running.close();
    await hub.close();
  }
});
