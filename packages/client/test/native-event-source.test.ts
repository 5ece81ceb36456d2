import { createClient, type EventSourceConstructor } from '@tidings/client';
import { defineEvents } from '@tidings/protocol';
import { type Authorizer, HubError } from '@tidings/server';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quietEnv, type RunningHub, record, startHub, until, waitForState } from './helpers.js';

// Node 20 has no EventSource; the `eventsource` package is a complete implementation of the
// WHATWG one over real sockets. Chromium's own runs in the browser tests.
const ES = EventSource as unknown as EventSourceConstructor;

let hub: RunningHub | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await hub?.close();
  hub = undefined;
});

const events = defineEvents({ 'lease-added': z.object({ ip: z.string() }) });

function queryTokenAuthorizer(seen: URL[]): Authorizer {
  return {
    async authorizeSubscribe(req) {
      seen.push(req.url);
      if (req.url.searchParams.get('token') !== 'ok') {
        throw new HubError(401, 'unauthorized', 'Pass a valid token.');
      }
      return { principal: {} };
    },
    async authorizePublish() {
      return {};
    },
  };
}

describe('useNativeEventSource', () => {
  it('sends the token and resume id in the query, and resumes without loss', async () => {
    const seen: URL[] = [];
    hub = await startHub({ authorizer: queryTokenAuthorizer(seen) });
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      events,
      token: () => 'ok',
      useNativeEventSource: true,
      backoff: { initialMs: 50, maxMs: 100 },
      environment: quietEnv({ EventSource: ES }),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    const ips: string[] = [];
    client.on('lease-added', (d) => ips.push(d.ip));
    client.connect();
    await waitForState(client, (s) => s.status === 'connected' && s.connectionId !== null);
    const a = await hub.hub.publish({ topic: 'leases', type: 'lease-added', data: { ip: '1' } });
    await until(() => ips.length === 1);
    hub.hub.disconnect(client.state.connectionId as string);
    const b = await hub.hub.publish({ topic: 'leases', type: 'lease-added', data: { ip: '2' } });
    await until(() => ips.length === 2, 10_000);
    expect(r.ids()).toEqual([a.id, b.id]);
    expect(seen[0]?.searchParams.get('token')).toBe('ok');
    expect(seen[0]?.searchParams.getAll('topic')).toEqual(['leases']);
    expect(seen[0]?.searchParams.get('lastEventId')).toBeNull();
    expect(seen.at(-1)?.searchParams.get('lastEventId')).toBe(a.id);
  });

  it('receives the types it was told about, including ones registered while connected', async () => {
    hub = await startHub();
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      events,
      useNativeEventSource: true,
      environment: quietEnv({ EventSource: ES }),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    const late: unknown[] = [];
    // @ts-expect-error 'late' is outside the contract: a compile error, yet still delivered.
    client.on('late', (d: unknown) => late.push(d));
    await hub.hub.publish({ topic: 'leases', type: 'unheard', data: 0 });
    await hub.hub.publish({ topic: 'leases', type: 'late', data: 1 });
    await hub.hub.publish({ topic: 'leases', type: 'lease-added', data: { ip: '3' } });
    await until(() => r.events.length === 2);
    expect(r.events.map((e) => e.type)).toEqual(['late', 'lease-added']);
    expect(late).toEqual([1]);
  });

  it('retries a refusal with backoff, since EventSource cannot see the status', async () => {
    hub = await startHub({ authorizer: queryTokenAuthorizer([]) });
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: 'wrong',
      useNativeEventSource: true,
      environment: quietEnv({ EventSource: ES }),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'reconnecting');
    expect(client.state.lastError?.message).toMatch(
      /^The hub refused the event stream; EventSource does not reveal the HTTP status/,
    );
  });
});
