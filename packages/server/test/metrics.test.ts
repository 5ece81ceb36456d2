import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ActivityTracker,
  type Authorizer,
  HubError,
  installMetrics,
  MemoryBroker,
  memoryStore,
  type StoredEvent,
} from '../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';
import { parseProm, scrape, value } from './prom-text.js';

let h: RunningHub | undefined;
const readers: StreamReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
  await h?.close();
  h = undefined;
});

async function open(topics: string[], opts: Parameters<typeof StreamReader.open>[2] = {}) {
  const r = await StreamReader.open((h as RunningHub).url, topics, opts);
  readers.push(r);
  await r.waitFor((x) => x.of('connected').length > 0);
  return r;
}

describe('GET /metrics under a scripted workload', () => {
  it('moves every figure as the workload goes: connect 10, publish 100, kill 3, resume, reject', async () => {
    h = await startHub();
    installMetrics(h.hub);
    const hub = h.hub;

    let m = await scrape(h.url);
    expect(value(m, 'tidings_connections_open', { transport: 'sse' })).toBe(0);
    expect(value(m, 'tidings_subscriptions')).toBe(0);

    // Connect 10: six on a pattern, four on one topic.
    const orders = await Promise.all(Array.from({ length: 6 }, () => open(['orders/**'])));
    const chat = await Promise.all(Array.from({ length: 4 }, () => open(['chat/room1'])));
    m = await scrape(h.url);
    expect(value(m, 'tidings_connections_open', { transport: 'sse' })).toBe(10);
    expect(value(m, 'tidings_connections_opened_total', { transport: 'sse' })).toBe(10);
    expect(value(m, 'tidings_subscriptions')).toBe(10);

    // Publish 100 over HTTP, one request each.
    const chatIds: string[] = [];
    for (let i = 0; i < 100; i++) {
      const body =
        i < 60
          ? { topic: `orders/eu/${i}`, type: i % 2 ? 'order-paid' : 'order-created', data: { i } }
          : { topic: 'chat/room1', type: 'message', data: { i } };
      const r = await post(h.url, body);
      expect(r.status).toBe(201);
      if (i >= 60) chatIds.push(r.body.id);
    }
    await Promise.all([...orders.map((r) => r.waitForEvents(60)), ...chat.map((r) => r.waitForEvents(40))]);

    m = await scrape(h.url);
    expect(value(m, 'tidings_events_published_total')).toBe(100);
    expect(value(m, 'tidings_events_published_total', { topic: 'orders', type: 'order-created' })).toBe(30);
    expect(value(m, 'tidings_events_published_total', { topic: 'orders', type: 'order-paid' })).toBe(30);
    expect(value(m, 'tidings_events_published_total', { topic: 'chat', type: 'message' })).toBe(40);
    expect(value(m, 'tidings_events_delivered_total', { topic: 'orders' })).toBe(60 * 6);
    expect(value(m, 'tidings_events_delivered_total', { topic: 'chat' })).toBe(40 * 4);
    expect(value(m, 'tidings_publish_duration_seconds_count')).toBe(100);
    expect(value(m, 'tidings_publish_to_write_seconds_count')).toBe(100);
    expect(value(m, 'tidings_publish_to_write_seconds_bucket', { le: '+Inf' })).toBe(100);

    // Kill 3.
    await Promise.all(orders.slice(0, 3).map((r) => r.close()));
    await until(() => hub.connections().length === 7);
    m = await scrape(h.url);
    expect(value(m, 'tidings_connections_open', { transport: 'sse' })).toBe(7);
    expect(value(m, 'tidings_connections_closed_total', { reason: 'client' })).toBe(3);
    expect(value(m, 'tidings_subscriptions')).toBe(7);

    // Resume after the 30th chat event: 10 replayed. An unknown id: a reset.
    const resumed = await open(['chat/room1'], { lastEventId: chatIds[29] });
    await resumed.waitForEvents(10);
    const lost = await open(['chat/room1'], { lastEventId: 'no-such-id' });
    await lost.waitFor((r) => r.of('reset').length === 1);
    await until(() => hub.connections().length === 9);
    m = await scrape(h.url);
    expect(value(m, 'tidings_events_replayed_total')).toBe(10);
    expect(value(m, 'tidings_resets_total', { reason: 'unknown-id' })).toBe(1);

    // Refused requests, and an operator's disconnect.
    expect((await post(h.url, { topic: 'bad topic', type: 't', data: 1 })).status).toBe(400);
    expect((await fetch(new URL('/nowhere', h.url))).status).toBe(404);
    expect(hub.disconnect(hub.connections()[0]?.id ?? '')).toBe(true);
    await until(() => hub.connections().length === 8);
    m = await scrape(h.url);
    expect(value(m, 'tidings_requests_rejected_total', { status: '400', code: 'invalid-topic' })).toBe(1);
    expect(value(m, 'tidings_requests_rejected_total', { status: '404', code: 'not-found' })).toBe(1);
    expect(value(m, 'tidings_connections_closed_total', { reason: 'disconnected' })).toBe(1);
    expect(value(m, 'tidings_slow_consumer_disconnects_total')).toBe(0);
    expect(value(m, 'tidings_errors_total')).toBe(0);

    // Process figures come from prom-client's default collectors.
    expect(value(m, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(m, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value(m, 'tidings_outbound_buffered_bytes')).toBeGreaterThanOrEqual(0);
  });

  it('counts auth failures by reason and rate-limited requests apart from other refusals', async () => {
    const authorizer: Authorizer = {
      async authorizeSubscribe(req) {
        const auth = req.header('authorization');
        if (!auth) throw new HubError(401, 'unauthorized', 'Send a token.', { reason: 'missing-token' });
        if (auth === 'Bearer old')
          throw new HubError(401, 'unauthorized', 'Token expired.', { reason: 'expired' });
        if (req.header('x-flood')) throw new HubError(429, 'rate-limited', 'Slow down.');
        return { principal: { user: 'u1' } };
      },
      async authorizePublish(_req, topics) {
        if (topics.some((t) => t.startsWith('secret/'))) throw new HubError(403, 'forbidden', 'Not yours.');
        return {};
      },
    };
    h = await startHub({ authorizer });
    installMetrics(h.hub);
    const get = (headers: Record<string, string> = {}) =>
      fetch(new URL('/events?topic=a', h?.url), { headers }).then((r) => r.text());
    await get();
    await get();
    await get({ authorization: 'Bearer old' });
    await get({ authorization: 'Bearer fine', 'x-flood': '1' });
    await get({ authorization: 'Bearer fine', 'x-flood': '1' });
    await post(h.url, { topic: 'secret/x', type: 't', data: 1 });
    const m = await scrape(h.url);
    expect(value(m, 'tidings_auth_failures_total', { reason: 'missing-token' })).toBe(2);
    expect(value(m, 'tidings_auth_failures_total', { reason: 'expired' })).toBe(1);
    expect(value(m, 'tidings_auth_failures_total', { reason: 'forbidden' })).toBe(1);
    expect(value(m, 'tidings_auth_failures_total')).toBe(4);
    expect(value(m, 'tidings_rate_limited_requests_total', { code: 'rate-limited' })).toBe(2);
    expect(value(m, 'tidings_requests_rejected_total')).toBe(6);
  });

  it('counts store and engine failures by component', async () => {
    const store = memoryStore();
    const append = store.append.bind(store);
    store.append = async (events) => {
      if (events.some((e) => e.topic === 'boom')) throw new Error('disk full');
      return append(events);
    };
    class FlakyBroker extends MemoryBroker {
      override async publish(events: readonly StoredEvent[]): Promise<void> {
        if (events.some((e) => e.topic === 'broker-boom')) throw new Error('broker down');
        return super.publish(events);
      }
    }
    h = await startHub({ store, broker: new FlakyBroker() });
    installMetrics(h.hub);
    expect((await post(h.url, { topic: 'boom', type: 't', data: 1 })).status).toBe(500);
    await expect(h.hub.publish({ topic: 'boom', type: 't', data: 1 })).rejects.toThrow(/disk full/);
    // Durable but not fanned out: the publisher still gets 201, the failure is counted.
    expect((await post(h.url, { topic: 'broker-boom', type: 't', data: 1 })).status).toBe(201);
    const m = await scrape(h.url);
    expect(value(m, 'tidings_errors_total', { component: 'store' })).toBe(2);
    expect(value(m, 'tidings_errors_total', { component: 'engine' })).toBe(1);
    expect(value(m, 'tidings_errors_total', { component: 'handler' })).toBe(1);
  });

  it('counts a slow consumer that was dropped', async () => {
    h = await startHub({ maxBufferBytes: 256 * 1024 });
    installMetrics(h.hub);
    const port = Number(new URL(h.url).port);
    const sock = connect(port, '127.0.0.1');
    sock.write('GET /events?topic=big HTTP/1.1\r\nHost: hub\r\n\r\n');
    sock.pause();
    await until(() => h?.hub.connections().length === 1);
    const payload = 'x'.repeat(60_000);
    for (let i = 0; i < 600 && h.hub.connections().length > 0; i++) {
      await h.hub.publish({ topic: 'big', type: 'blob', data: { i, payload } });
      await new Promise((r) => setImmediate(r));
    }
    const m = await scrape(h.url);
    sock.destroy();
    expect(value(m, 'tidings_slow_consumer_disconnects_total')).toBe(1);
    expect(value(m, 'tidings_connections_closed_total', { reason: 'slow-consumer' })).toBe(1);
  });

  it('puts the endpoint behind a token when one is configured', async () => {
    h = await startHub();
    installMetrics(h.hub, { token: 'scrape-secret' });
    const none = await fetch(new URL('/metrics', h.url));
    expect(none.status).toBe(401);
    const body = (await none.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.message).toMatch(/^[A-Z].*\.$/);
    const wrong = await fetch(new URL('/metrics', h.url), { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(new URL('/metrics', h.url), {
      headers: { authorization: 'Bearer scrape-secret' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(parseProm(await ok.text()), 'tidings_connections_open')).toBe(0);
  });
});

describe('label cardinality', () => {
  const names = (samples: ReturnType<typeof parseProm>, metric: string, label: string) =>
    new Set(samples.filter((s) => s.name === metric).map((s) => s.labels[label]));

  it('stays bounded with 10,000 distinct topics and types', async () => {
    h = await startHub();
    const tracker = new ActivityTracker();
    h.hub.observe(tracker);
    installMetrics(h.hub);
    const all = await open(['**']);
    const before = (await scrape(h.url)).length;
    for (let b = 0; b < 10; b++) {
      await h.hub.publish(
        Array.from({ length: 1000 }, (_, i) => ({
          topic: `t${b * 1000 + i}/leaf`,
          type: `type-${b * 1000 + i}`,
          data: i,
        })),
      );
      // Let the reader keep up: 10,000 frames at once would make it a slow consumer. (Frames are
      // counted, not parsed: parsing every envelope on every poll would be quadratic.)
      await all.waitFor((r) => r.frames.filter((f) => f.id !== undefined).length >= (b + 1) * 1000);
    }
    const m = await scrape(h.url);
    expect(value(m, 'tidings_events_published_total')).toBe(10_000);
    expect(value(m, 'tidings_events_delivered_total')).toBe(10_000);
    const pubSeries = m.filter((s) => s.name === 'tidings_events_published_total');
    expect(pubSeries.length).toBeLessThanOrEqual(51);
    expect(names(m, 'tidings_events_published_total', 'topic').size).toBeLessThanOrEqual(51);
    expect(names(m, 'tidings_events_published_total', 'type').size).toBeLessThanOrEqual(51);
    expect(value(m, 'tidings_events_published_total', { topic: '_other', type: '_other' })).toBe(9_950);
    // No metric family has more series than the bounds allow (histograms: 13 buckets + sum + count).
    const perFamily = new Map<string, number>();
    for (const s of m) perFamily.set(s.name, (perFamily.get(s.name) ?? 0) + 1);
    const over = [...perFamily].filter(([, n]) => n > 51);
    expect(over).toEqual([]);
    expect(m.length - before).toBeLessThan(200);
    expect(tracker.trackedTopics).toBeLessThanOrEqual(2000);
  });

  it('labels by the configured prefixes only, the longest that matches', async () => {
    h = await startHub();
    installMetrics(h.hub, { topicPrefixes: ['tenant', 'tenant/acme'], maxTypeLabels: 3 });
    for (let b = 0; b < 10; b++) {
      await h.hub.publish(
        Array.from({ length: 1000 }, (_, i) => {
          const n = b * 1000 + i;
          const topic = n % 3 === 0 ? `tenant/acme/${n}` : n % 3 === 1 ? `tenant/t${n}/x` : `misc${n}`;
          return { topic, type: `k${n % 5}`, data: n };
        }),
      );
    }
    const m = await scrape(h.url);
    expect(names(m, 'tidings_events_published_total', 'topic')).toEqual(
      new Set(['tenant/acme', 'tenant', '_other']),
    );
    expect(names(m, 'tidings_events_published_total', 'type')).toEqual(new Set(['k0', 'k1', 'k2', '_other']));
    expect(value(m, 'tidings_events_published_total', { topic: 'tenant/acme' })).toBe(3334);
    expect(value(m, 'tidings_events_published_total', { topic: 'tenant' })).toBe(3333);
    expect(value(m, 'tidings_events_published_total', { topic: '_other' })).toBe(3333);
  });
});
