import type { StandardSchemaV1 } from '@standard-schema/spec';
import { createClient, type InvalidEvent } from '@tidings/client';
import { defineEvents } from '@tidings/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  envelopeFrame,
  openStream,
  quietEnv,
  type RunningHub,
  rawSseServer,
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

/** A Standard Schema that validates asynchronously, the first call slowest, to test ordering. */
function slowSchema(): StandardSchemaV1<{ n: number }> {
  let calls = 0;
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      async validate(value) {
        const delay = Math.max(0, 60 - 20 * calls++);
        await new Promise((r) => setTimeout(r, delay));
        const n = (value as { n?: unknown }).n;
        return typeof n === 'number'
          ? { value: { n } }
          : { issues: [{ message: 'n must be a number', path: ['n'] }] };
      },
    },
  };
}

describe('validation', () => {
  it('sends invalid payloads to onInvalid, counts them, and keeps the connection and order', async () => {
    hub = await startHub();
    const events = defineEvents({
      'lease-added': z.object({ ip: z.string(), mac: z.string() }),
      slow: slowSchema(),
    });
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      events,
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    const invalid: InvalidEvent[] = [];
    client.onInvalid((e) => {
      invalid.push(e);
      throw new Error('a buggy onInvalid handler');
    });
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    const pub = (type: string, data: unknown) => hub?.hub.publish({ topic: 'leases', type, data });
    await pub('lease-added', { ip: '10.0.0.1', mac: 'a' });
    const bad = await pub('lease-added', { ip: 7 });
    await pub('slow', { n: 1 });
    const badSlow = await pub('slow', { n: 'two' });
    await pub('slow', { n: 3 });
    await pub('other', 'anything');
    await until(() => r.events.length + invalid.length === 6);
    expect(r.events.map((e) => `${e.type}:${JSON.stringify(e.data)}`)).toEqual([
      'lease-added:{"ip":"10.0.0.1","mac":"a"}',
      'slow:{"n":1}',
      'slow:{"n":3}',
      'other:"anything"',
    ]);
    expect(invalid.map((e) => e.id)).toEqual([bad?.id, badSlow?.id]);
    expect(invalid[0]).toMatchObject({ type: 'lease-added', topic: 'leases', data: { ip: 7 } });
    expect(invalid[0]?.message).toMatch(/^Event \S+ \(lease-added\) is invalid: ip: .*string.*; mac: /);
    expect(invalid[1]?.issues).toEqual([{ message: 'n must be a number', path: ['n'] }]);
    expect(client.stats).toEqual({ received: 4, duplicates: 0, invalid: 2 });
    // The resume point moved past the invalid events: they are not sent again.
    expect(client.state.lastEventId).toBe(r.events[3]?.id);
    expect(client.state.status).toBe('connected');
    expect(client.events.all()).toHaveLength(4);
  });

  it('reports frames that are not Tidings envelopes instead of throwing', async () => {
    const server = await rawSseServer((req) => {
      openStream(req);
      req.send('id: a\nevent: t\ndata: not json\n\n');
      req.send('id: b\nevent: t\ndata: {"no":"envelope"}\n\n');
      req.send(envelopeFrame('c', 't', 1));
    });
    cleanups.push(() => server.close());
    const client = createClient({ url: `${server.url}/events`, topics: ['t'], environment: quietEnv() });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    const invalid: InvalidEvent[] = [];
    client.onInvalid((e) => invalid.push(e));
    client.connect();
    await until(() => r.events.length === 1);
    expect(invalid.map((e) => [e.id, e.data])).toEqual([
      ['a', 'not json'],
      ['b', { no: 'envelope' }],
    ]);
    expect(invalid[0]?.message).toMatch(/not a Tidings event envelope/);
    expect(client.stats.invalid).toBe(2);
  });
});

describe('duplicates', () => {
  it('drops events whose id was already delivered, across reconnections', async () => {
    // An at-least-once upstream: it ignores Last-Event-ID and sends everything again.
    const server = await rawSseServer((req) => {
      openStream(req, 10);
      req.send(envelopeFrame('e1', 't', 1));
      req.send(envelopeFrame('e2', 't', 2));
      req.send(envelopeFrame('e2', 't', 2));
      if (req.n === 1) {
        req.res.end();
        return;
      }
      req.send(envelopeFrame('e3', 't', 3));
    });
    cleanups.push(() => server.close());
    const client = createClient({
      url: `${server.url}/events`,
      topics: ['t'],
      backoff: { jitter: false },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await until(() => r.events.length === 3);
    await until(() => client.stats.duplicates === 4);
    expect(r.ids()).toEqual(['e1', 'e2', 'e3']);
    expect(server.requests[1]?.headers['last-event-id']).toBe('e2');
  });
});

describe('events that share an id', () => {
  it('delivers two different events with the same id (ids are unique per publisher and topic), and drops a replay of either', async () => {
    // Two publishers used one id: on another topic, and on the same topic with other data.
    const server = await rawSseServer((req) => {
      openStream(req, 10);
      req.send(envelopeFrame('order:1', 'x', 1, 't'));
      req.send(envelopeFrame('order:1', 'x', 1, 'u'));
      req.send(envelopeFrame('order:1', 'x', 2, 't'));
      req.send(envelopeFrame('order:1', 'x', 1, 'u'));
      req.send(envelopeFrame('order:1', 'x', 1, 't'));
      req.send(envelopeFrame('e2', 'x', 3, 't'));
    });
    cleanups.push(() => server.close());
    const client = createClient({
      url: `${server.url}/events`,
      topics: ['t', 'u'],
      backoff: { jitter: false },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await until(() => r.events.length === 4);
    expect(r.events.map((e) => [e.id, e.topic, e.data])).toEqual([
      ['order:1', 't', 1],
      ['order:1', 'u', 1],
      ['order:1', 't', 2],
      ['e2', 't', 3],
    ]);
    expect(client.stats.duplicates).toBe(2);
  });
});

describe('HTTP answers', () => {
  it('stops on 204 as the SSE spec says', async () => {
    hub = await startHub();
    hub.hub.route('GET', '/closed', async () => ({ status: 204, headers: {}, body: '' }));
    const client = createClient({ url: `${hub.url}/closed`, topics: ['t'], environment: quietEnv() });
    client.connect();
    await waitForState(client, (s) => s.status === 'disconnected');
    expect(client.state).toMatchObject({ reason: 'no-content', lastError: null });
  });

  it("stops on a wrong URL (404) with the hub's message, and on a response that is not an event stream", async () => {
    hub = await startHub();
    const wrong = createClient({ url: `${hub.url}/evnts`, topics: ['t'], environment: quietEnv() });
    wrong.connect();
    await waitForState(wrong, (s) => s.status === 'error');
    expect(wrong.state.lastError?.message).toMatch(
      /^The hub refused the request \(404\): There is nothing at \/evnts; .* Retrying cannot help; fix the client's url or topics, then call connect\(\)\.$/,
    );
    const health = createClient({ url: `${hub.url}/healthz`, topics: ['t'], environment: quietEnv() });
    health.connect();
    await waitForState(health, (s) => s.status === 'error');
    expect(health.state.lastError?.message).toMatch(
      /content-type "application\/json; charset=utf-8" instead of text\/event-stream; check that the url points at the hub's \/events endpoint/,
    );
  });

  it('retries a 503 no sooner than its Retry-After', async () => {
    const server = await rawSseServer((req) => {
      if (req.n === 1) {
        req.res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        req.res.end(
          '{"error":{"code":"unavailable","message":"The hub is shutting down; reconnect in a moment."}}',
        );
        return;
      }
      openStream(req);
    });
    cleanups.push(() => server.close());
    const client = createClient({
      url: `${server.url}/events`,
      topics: ['t'],
      backoff: { initialMs: 10 },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'reconnecting');
    const s = client.state;
    expect(s.lastError).toMatchObject({ status: 503, code: 'unavailable' });
    expect(s.lastError?.message).toBe(
      'The hub answered 503: The hub is shutting down; reconnect in a moment.',
    );
    expect((s.nextRetryAt ?? 0) - (s.lastError?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    await waitForState(client, (x) => x.status === 'connected');
  });
});

describe('resets', () => {
  it("passes the hub's reset to onReset when it cannot replay from the id", async () => {
    hub = await startHub();
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      lastEventId: 'no-such-id',
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const resets: unknown[] = [];
    client.onReset((r) => resets.push(r));
    client.connect();
    await until(() => resets.length === 1);
    expect(resets).toEqual([{ reason: 'unknown-id', lastEventId: 'no-such-id' }]);
  });

  it('loses nothing across a reconnect even before it received its first event', async () => {
    hub = await startHub({ retryMs: 200 });
    await hub.hub.publish({ topic: 'leases', type: 't', data: 'before' });
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      backoff: { initialMs: 200, maxMs: 400 },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const resets: unknown[] = [];
    const got: unknown[] = [];
    client.onReset((r) => resets.push(r));
    client.on('*', (e) => got.push(e.data));
    client.connect();
    await waitForState(client, (s) => s.status === 'connected' && s.connectionId !== null);
    // The hub's connected frame carries its current position as the resume point.
    expect(client.state.lastEventId).not.toBeNull();
    hub.hub.disconnect(client.state.connectionId as string);
    await waitForState(client, (s) => s.status === 'reconnecting');
    await hub.hub.publish({ topic: 'leases', type: 't', data: 'while away' });
    await until(() => got.length === 1, 10_000);
    expect(got).toEqual(['while away']);
    expect(resets).toEqual([]);
  });
});
