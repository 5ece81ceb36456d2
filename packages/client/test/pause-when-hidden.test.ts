import { createClient } from '@tidings/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Flag,
  ManualTimers,
  quietEnv,
  type RunningHub,
  record,
  startHub,
  until,
  waitForState,
} from './helpers.js';

let hub: RunningHub | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await hub?.close();
  hub = undefined;
});

describe('pauseWhenHidden', () => {
  it('closes the stream after the hidden grace period and resumes without loss when visible', async () => {
    hub = await startHub();
    const visible = new Flag(true);
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      pauseWhenHidden: { afterMs: 100 },
      environment: quietEnv({ visibility: { isVisible: visible.isVisible, subscribe: visible.subscribe } }),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    const a = await hub.hub.publish({ topic: 'leases', type: 't', data: 'a' });
    await until(() => r.events.length === 1);

    visible.set(false);
    await waitForState(client, (s) => s.status === 'disconnected');
    expect(client.state.reason).toBe('paused');
    await until(() => hub?.hub.connections().length === 0);
    const b = await hub.hub.publish({ topic: 'leases', type: 't', data: 'b' });
    const c = await hub.hub.publish({ topic: 'leases', type: 't', data: 'c' });

    visible.set(true);
    await until(() => r.events.length === 3);
    expect(r.ids()).toEqual([a.id, b.id, c.id]);
    expect(r.statuses).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  });

  it('keeps the stream when the page is visible again within the grace period', async () => {
    hub = await startHub();
    const visible = new Flag(true);
    const timers = new ManualTimers();
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      pauseWhenHidden: true,
      environment: quietEnv({
        timers,
        visibility: { isVisible: visible.isVisible, subscribe: visible.subscribe },
      }),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    visible.set(false);
    expect(timers.delays()).toContain(30_000);
    visible.set(true);
    expect(timers.delays()).not.toContain(30_000);
    expect(client.state.status).toBe('connected');
  });

  it('starts the grace period at connect() when the page is already hidden', async () => {
    hub = await startHub();
    const visible = new Flag(false);
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      pauseWhenHidden: { afterMs: 50 },
      environment: quietEnv({ visibility: { isVisible: visible.isVisible, subscribe: visible.subscribe } }),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'disconnected' && s.reason === 'paused');
  });
});
