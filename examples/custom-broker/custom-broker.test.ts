import { randomUUID } from 'node:crypto';
import { runBrokerSuite } from '@tidings/server/testing';
import { expect, it } from 'vitest';
import { post, StreamReader } from '../../packages/server/test/helpers.js';
import { startNode } from './app.js';
import { BroadcastChannelBroker } from './broadcast-channel-broker.js';

// The conformance suite every broker passes, with three nodes on one channel.
runBrokerSuite({
  name: 'BroadcastChannelBroker',
  maxNodes: 3,
  create: (n) => {
    const name = `suite-${randomUUID()}`;
    return Array.from({ length: n }, () => new BroadcastChannelBroker(name));
  },
});

it('carries an event published on one node to a subscriber on another', async () => {
  const cluster = `smoke-${randomUUID()}`;
  const a = await startNode(cluster);
  const b = await startNode(cluster);
  const r = await StreamReader.open(b.url, ['smoke'], { path: '/live/events' });
  try {
    await r.waitFor((x) => x.of('connected').length === 1, 15_000);
    const res = await post(
      a.url,
      { topic: 'smoke', type: 'ping', data: { from: 'a' } },
      { path: '/live/publish' },
    );
    expect(res.status).toBe(201);
    const [ev] = await r.waitForEvents(1, 15_000);
    expect(ev).toMatchObject({ topic: 'smoke', data: { from: 'a' } });
  } finally {
    await r.close();
    await a.close();
    await b.close();
  }
});
