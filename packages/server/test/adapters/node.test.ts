import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { tidingsNode } from '../../src/adapters/node.js';
import { createHubServer } from '../../src/index.js';
import { WsPeer } from '../ws-helpers.js';
import { adapterSuite, PK, suiteHub } from './adapter-suite.js';

adapterSuite('node:http', {
  async start(hub) {
    const server = createHubServer(
      tidingsNode(hub, (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the app');
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async close() {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  },
});

it('serves the WebSocket channel through createHubServer(tidingsNode(hub))', async () => {
  const hub = suiteHub();
  const server = createHubServer(tidingsNode(hub, (_req, res) => res.end('app')));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const peer = await WsPeer.open(`http://127.0.0.1:${port}`, ['w'], {
      path: '/live/ws',
      headers: { authorization: `Bearer ${PK}` },
    });
    await hub.publish({ topic: 'w', type: 'w', data: { ok: true } });
    await peer.waitFor((m) => JSON.stringify(m).includes('"ok":true'), 15_000);
    expect(peer.messages.some((m) => m.op === 'connected')).toBe(true);
    peer.ws.close();
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await hub.close();
  }
});
