import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHub, createHubServer, memoryStore } from '@tidings/server';
import { expect, it } from 'vitest';
import { until } from '../../packages/server/test/helpers.js';
import { consume } from './consumer.js';

it('a Node process receives the events a hub publishes, over a real socket', async () => {
  const key = 'pk-example-0123456789abcdef0123456789';
  const hub = createHub({ store: memoryStore(), auth: { publisherKey: key } });
  const server = createHubServer(hub.handleNode).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const got: string[] = [];
  const client = consume(url, ['orders'], (type, data) => got.push(`${type}:${JSON.stringify(data)}`), key);
  try {
    await until(() => client.state.status === 'connected' && client.state.connectionId !== null, 15_000);
    await hub.publish({ topic: 'orders', type: 'order.created', data: { item: 'tea' } });
    await until(() => got.length === 1, 15_000);
    expect(got).toEqual(['order.created:{"item":"tea"}']);
  } finally {
    client.disconnect();
    await hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
