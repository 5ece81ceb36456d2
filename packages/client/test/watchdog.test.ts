import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { createClient } from '@tidings/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FreezingProxy,
  quietEnv,
  type RunningHub,
  record,
  startHub,
  until,
  waitForState,
} from './helpers.js';

let hub: RunningHub | undefined;
let proxy: FreezingProxy | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await proxy?.close();
  proxy = undefined;
  await hub?.close();
  hub = undefined;
});

describe('heartbeat watchdog', () => {
  it('replaces a connection that froze (no byte, no close) and resumes without loss', async () => {
    hub = await startHub({ heartbeatMs: 300 });
    proxy = await FreezingProxy.start(hub.url);
    // No heartbeatTimeoutMs: the watchdog derives it from the heartbeatMs the hub announces.
    const client = createClient({
      url: `${proxy.url}/events`,
      topics: ['leases'],
      backoff: { initialMs: 50, maxMs: 200 },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    const a = await hub.hub.publish({ topic: 'leases', type: 't', data: 1 });
    await until(() => r.events.length === 1);

    proxy.freezeCurrent();
    const b = await hub.hub.publish({ topic: 'leases', type: 't', data: 2 });
    const c = await hub.hub.publish({ topic: 'leases', type: 't', data: 3 });

    await waitForState(client, (s) => s.status === 'reconnecting');
    expect(client.state.lastError?.message).toMatch(
      /^No data from the hub for 900 ms: heartbeats stopped, so the connection is presumed dead and is being replaced\.$/,
    );
    await until(() => r.events.length === 3, 10_000);
    expect(r.ids()).toEqual([a.id, b.id, c.id]);
    expect(client.state.status).toBe('connected');
    // Exactly one replacement. (Not counted in TCP connections: Node 24's fetch opens one more
    // socket through the proxy than Node 20's for the same two requests.)
    expect(r.statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
  });

  it('honours an explicit heartbeatTimeoutMs over the announced interval', async () => {
    hub = await startHub({ heartbeatMs: 60_000 });
    proxy = await FreezingProxy.start(hub.url);
    const client = createClient({
      url: `${proxy.url}/events`,
      topics: ['leases'],
      heartbeatTimeoutMs: 400,
      backoff: { initialMs: 50 },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    proxy.freezeCurrent();
    await waitForState(client, (s) => s.lastError !== null);
    expect(client.state.lastError?.message).toMatch(/^No data from the hub for 400 ms/);
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    const sockets = new Set<Socket>();
    const ended = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.resume();
      s.on('end', () => ended.add(s)).on('close', () => ended.add(s));
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((res) => silent.close(res));
    });
    const client = createClient({
      url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/events`,
      topics: ['leases'],
      heartbeatTimeoutMs: 300,
      // No jitter: the next attempt is 10 s away, so every socket seen here is the abandoned one.
      backoff: { initialMs: 10_000, jitter: false },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'reconnecting');
    expect(client.state.lastError?.message).toBe('The hub did not answer within 300 ms.');
    // The abandoned request is really closed, not left dangling.
    await until(() => sockets.size > 0 && ended.size === sockets.size);
  });
});
