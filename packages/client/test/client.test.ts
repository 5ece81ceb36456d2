import { createClient, type UndeclaredEvent } from '@tidings/client';
import { defineEvents } from '@tidings/protocol';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { quietEnv, type RunningHub, record, startHub, until, waitForState } from './helpers.js';

const events = defineEvents({
  'lease-added': z.object({ ip: z.string(), mac: z.string() }),
  'lease-removed': z.object({ ip: z.string() }),
});

let hub: RunningHub | undefined;
const clients: { disconnect(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await hub?.close();
  hub = undefined;
});

function client(opts: Partial<Parameters<typeof createClient<typeof events>>[0]> = {}) {
  if (!hub) throw new Error('start the hub first');
  const c = createClient({
    url: `${hub.url}/events`,
    topics: ['leases'],
    events,
    environment: quietEnv(),
    ...opts,
  });
  clients.push(c);
  return c;
}

describe('createClient against a real hub', () => {
  it('connects, delivers typed payloads in order, and tracks its state', async () => {
    hub = await startHub();
    const c = client();
    const r = record(c);
    const added: string[] = [];
    c.on('lease-added', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<{ ip: string; mac: string }>();
      added.push(`${meta.id}:${data.ip}`);
    });
    expect(c.state.status).toBe('idle');
    c.connect();
    expect(c.state.status).toBe('connecting');
    await waitForState(c, (s) => s.status === 'connected' && s.connectionId !== null);
    const published = [];
    for (let i = 0; i < 5; i++) {
      published.push(
        await hub.hub.publish({
          topic: 'leases',
          type: 'lease-added',
          data: { ip: `10.0.0.${i}`, mac: 'aa' },
        }),
      );
    }
    await until(() => added.length === 5);
    expect(added).toEqual(published.map((p, i) => `${p.id}:10.0.0.${i}`));
    expect(r.ids()).toEqual(published.map((p) => p.id));
    expect(r.statuses).toEqual(['connecting', 'connected']);
    expect(c.state.lastEventId).toBe(published[4]?.id);
    expect(c.state.lastEventAt).toBeTypeOf('number');
    expect(c.stats).toEqual({ received: 5, duplicates: 0, invalid: 0 });
    expect(c.role).toBe('solo');
    // The same snapshot object until something changes (useSyncExternalStore needs that).
    expect(c.state).toBe(c.state);
    c.disconnect();
    expect(c.state).toMatchObject({ status: 'disconnected', reason: 'client' });
    await until(() => hub?.hub.connections().length === 0);
  });

  it('keeps a queryable buffer of the last bufferSize events', async () => {
    hub = await startHub();
    const c = client({ bufferSize: 3 });
    c.connect();
    await waitForState(c, (s) => s.status === 'connected');
    await hub.hub.publish([
      { topic: 'leases', type: 'lease-added', data: { ip: '10.0.0.1', mac: 'a' } },
      { topic: 'leases', type: 'lease-removed', data: { ip: '10.0.0.9' } },
      { topic: 'leases', type: 'lease-added', data: { ip: '10.0.0.2', mac: 'b' } },
      { topic: 'leases', type: 'lease-added', data: { ip: '10.0.0.3', mac: 'c' } },
    ]);
    await until(() => c.stats.received === 4);
    expect(c.events.size).toBe(3);
    expect(c.events.capacity).toBe(3);
    expect(c.events.all().map((e) => e.type)).toEqual(['lease-removed', 'lease-added', 'lease-added']);
    const added = c.events.ofType('lease-added');
    expectTypeOf(added[0]?.data).toEqualTypeOf<{ ip: string; mac: string } | undefined>();
    expect(added.map((e) => e.data.ip)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(c.events.find({ where: { ip: '10.0.0.9' } }).map((e) => e.type)).toEqual(['lease-removed']);
    expect(
      c.events.find({ type: 'lease-added', where: (d) => (d as { mac: string }).mac === 'c' }),
    ).toHaveLength(1);
    expect(c.events.find({ topic: 'other/*' })).toHaveLength(0);
    expect(() => c.events.find({ topic: 'lea*' })).toThrow(/wildcard must be a whole segment/);
    expect(() => c.events.find({ topic: 'a//b' })).toThrow(/empty segment/);
    expect(c.events.find({ topic: '**' })).toHaveLength(3);
    expect(c.events.last()?.data).toEqual({ ip: '10.0.0.3', mac: 'c' });
    expect(c.events.last({ type: 'lease-removed' })?.id).toBeDefined();
    c.events.clear();
    expect(c.events.all()).toEqual([]);
  });

  it('passes undeclared types through as unknown, and isolates listeners that throw', async () => {
    hub = await startHub();
    const env = quietEnv();
    const c = client({ environment: env });
    const got: unknown[] = [];
    // With definitions an undeclared type does not compile (listen to '*' for those), yet the
    // client still delivers such events at run time.
    // @ts-expect-error 'something-else' is not a declared type
    c.on('something-else', (data: unknown) => {
      got.push(data);
    });
    c.on('lease-added', () => {
      throw new Error('listener bug');
    });
    const wild: string[] = [];
    c.on('*', (e) => {
      if (e.declared && e.type === 'lease-added')
        expectTypeOf(e.data).toEqualTypeOf<{ ip: string; mac: string }>();
      wild.push(`${e.type}:${e.declared}`);
    });
    c.connect();
    await waitForState(c, (s) => s.status === 'connected');
    await hub.hub.publish({ topic: 'leases', type: 'lease-added', data: { ip: '1', mac: 'm' } });
    await hub.hub.publish({ topic: 'leases', type: 'something-else', data: [1, 2] });
    await until(() => got.length === 1);
    expect(got).toEqual([[1, 2]]);
    expect(wild).toEqual(['lease-added:true', 'something-else:false']);
    expect(env.logger.lines.some((l) => /listener threw; the client carries on\. listener bug/.test(l))).toBe(
      true,
    );
    expect(c.state.status).toBe('connected');
  });

  it('logs its decisions with debug: true, and falls back to its own connection without Web Locks', async () => {
    hub = await startHub();
    const env = quietEnv({ locks: undefined });
    const c = client({ debug: true, shareAcrossTabs: true, environment: env });
    expect(env.logger.lines).toContain(
      'warn shareAcrossTabs needs Web Locks and BroadcastChannel, which this environment lacks; this tab uses a connection of its own.',
    );
    expect(c.role).toBe('solo');
    c.connect();
    await waitForState(c, (s) => s.status === 'connected');
    expect(env.logger.lines).toContain(`debug connecting to ${hub.url}`);
    expect(env.logger.lines).toContain('debug connected');
    const quiet = quietEnv();
    const d = client({ environment: quiet });
    d.connect();
    await waitForState(d, (s) => s.status === 'connected');
    expect(quiet.logger.lines).toEqual([]);
  });

  it('refuses bad options with sentences that say what to pass', () => {
    const make = (o: object) => () => createClient({ url: 'http://h/events', topics: ['a'], ...o } as never);
    expect(make({ url: undefined })).toThrow(/url is required/);
    expect(make({ url: '/events' })).toThrow(/relative, and there is no page to resolve it against/);
    expect(make({ url: 'ws://h/events' })).toThrow(/must be http: or https:/);
    expect(make({ topics: [] })).toThrow(/at least one topic/);
    expect(make({ topics: ['a/**/b'] })).toThrow(/"\*\*" may only end a pattern/);
    expect(make({ backoff: { initialMs: -1 } })).toThrow(/backoff.initialMs must be a positive number/);
    expect(make({ backoff: { maxAttempts: 1.5 } })).toThrow(/maxAttempts must be a whole number or Infinity/);
    expect(make({ backoff: { multiplier: 0.5 } })).toThrow(/multiplier must be at least 1/);
    expect(make({ backoff: { initialMs: 60_000 } })).toThrow(
      /initialMs \(60000\) is larger than backoff.maxMs \(30000\)/,
    );
    expect(make({ bufferSize: 2.5 })).toThrow(/bufferSize must be a whole number/);
    expect(make({ heartbeatTimeoutMs: 0 })).toThrow(/heartbeatTimeoutMs must be a positive number/);
    expect(make({ token: 42 })).toThrow(/token must be a string or a function/);
    expect(make({ events: {} })).toThrow(/must come from defineEvents/);
    expect(make({ useNativeEventSource: true, headers: { a: 'b' } })).toThrow(
      /EventSource cannot send headers/,
    );
    expect(make({ useNativeEventSource: true, environment: { EventSource: undefined } })).toThrow(
      /needs EventSource, which this environment lacks/,
    );
    expect(make({ environment: { fetch: undefined } })).toThrow(/no fetch/);
    expect(make({ shareAcrossTabs: { key: '' } })).toThrow(/shareAcrossTabs takes true or \{ key/);
    const c = createClient({ url: 'http://h/events', topics: ['a'], environment: quietEnv() });
    // Without definitions every payload is unknown, and the buffer still answers by type.
    expectTypeOf(c.events.ofType('x')).toEqualTypeOf<UndeclaredEvent[]>();
    expectTypeOf(c.events.all()).toEqualTypeOf<UndeclaredEvent[]>();
    expectTypeOf(c.on).parameter(0).toBeString();
    c.on('x', (data, meta) => {
      expectTypeOf(data).toBeUnknown();
      expectTypeOf(meta.type).toEqualTypeOf<'x'>();
    });
    expect(() => c.on('', () => {})).toThrow(/needs an event type/);
    expect(() => c.on('x', null as never)).toThrow(/listener must be a function, not null/);
  });
});
