import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHub, createHubServer, type Hub, memoryStore } from '@tidings/server';
import { BroadcastChannelBroker } from './broadcast-channel-broker.js';

/** A running node. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/**
 * One hub node on the {@link BroadcastChannelBroker} named `cluster`: start several (in this
 * process or in worker threads) and an event published on one reaches subscribers on all.
 * History stays per node here; nodes that must replay each other's events share a store.
 */
export async function startNode(cluster: string, port = 0, host = '127.0.0.1'): Promise<Running> {
  const hub = createHub({
    basePath: '/live',
    store: memoryStore(),
    broker: new BroadcastChannelBroker(cluster),
  });
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
