import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const running: RunningHub[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});
async function hub(opts = {}) {
  const h = await startHub(opts);
  running.push(h);
  return h;
}
async function open(...args: Parameters<typeof StreamReader.open>) {
  const r = await StreamReader.open(...args);
  readers.push(r);
  return r;
}

describe('GET /events', () => {
  it('answers with the exact stream headers and a connected frame first', async () => {
    const h = await hub({ retryMs: 2500, heartbeatMs: 15_000 });
    const r = await open(h.url, ['leases', 'tenant/acme/**']);
    expect(r.response.status).toBe(200);
    expect(r.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(r.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(r.response.headers.get('x-accel-buffering')).toBe('no');
    await r.waitFor((x) => x.frames.length >= 1);
    expect(r.retry).toBe(2500);
    const first = r.frames[0];
    expect(first?.event).toBe('connected');
    expect(first?.id).toBeUndefined();
    const c = JSON.parse(first?.data ?? '{}');
    expect(c).toEqual({
      connectionId: expect.any(String),
      topics: ['leases', 'tenant/acme/**'],
      heartbeatMs: 15_000,
      serverTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      lastEventId: expect.any(String),
    });
    expect(h.hub.connections().map((x) => x.id)).toEqual([c.connectionId]);
  });

  it('delivers a published event as one frame with id, type and the JSON envelope', async () => {
    const h = await hub();
    const r = await open(h.url, ['leases']);
    await r.waitFor((x) => x.frames.length >= 1);
    const pub = await post(h.url, {
      topic: 'leases',
      type: 'lease-added',
      data: { ip: '10.0.0.7', note: 'a\nb' },
    });
    expect(pub.status).toBe(201);
    const [ev] = await r.waitForEvents(1);
    const frame = r.frames.find((f) => f.id !== undefined);
    expect(frame?.id).toBe(pub.body.id);
    expect(frame?.event).toBe('lease-added');
    expect(Object.keys(JSON.parse(frame?.data ?? '{}'))).toEqual(['id', 'topic', 'type', 'time', 'data']);
    expect(ev).toEqual({
      id: pub.body.id,
      topic: 'leases',
      type: 'lease-added',
      time: expect.stringMatching(/Z$/),
      data: { ip: '10.0.0.7', note: 'a\nb' },
    });
  });

  it('matches * and ** patterns and delivers overlapping matches once', async () => {
    const h = await hub();
    const star = await open(h.url, ['tenant/*/leases']);
    const deep = await open(h.url, ['tenant/acme/**', 'tenant/acme/leases', '*/acme/leases']);
    await until(() => h.hub.connections().length === 2);
    const topics = ['tenant/acme/leases', 'tenant/beta/leases', 'tenant/acme', 'tenant/acme/jobs/1', 'other'];
    for (const topic of topics) await h.hub.publish({ topic, type: 't', data: topic });
    await star.waitForEvents(2);
    await deep.waitForEvents(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(star.events.map((e) => e.topic)).toEqual(['tenant/acme/leases', 'tenant/beta/leases']);
    expect(deep.events.map((e) => e.topic)).toEqual([
      'tenant/acme/leases',
      'tenant/acme',
      'tenant/acme/jobs/1',
    ]);
  });

  it('sends heartbeats on the interval it announced', async () => {
    const h = await hub({ heartbeatMs: 40 });
    const r = await open(h.url, ['x']);
    await r.waitFor((x) => x.of('heartbeat').length >= 3, 2000);
    const hb = JSON.parse(r.of('heartbeat')[0]?.data ?? '{}');
    expect(Object.keys(hb)).toEqual(['time']);
    expect(r.of('heartbeat').every((f) => f.id === undefined)).toBe(true);
  });

  it('streams to the WHATWG EventSource implementation of the eventsource package', async () => {
    const h = await hub();
    const es = new EventSource(`${h.url}/events?topic=leases`);
    const got: Array<{ type: string; id: string; data: string }> = [];
    const opened = new Promise((r) => es.addEventListener('connected', r));
    es.addEventListener('lease-added', (e) => got.push({ type: e.type, id: e.lastEventId, data: e.data }));
    try {
      await opened;
      const ids = [];
      for (let i = 0; i < 3; i++)
        ids.push((await h.hub.publish({ topic: 'leases', type: 'lease-added', data: { i } })).id);
      await until(() => got.length === 3);
      expect(got.map((g) => g.id)).toEqual(ids);
      expect(got.map((g) => JSON.parse(g.data).data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    } finally {
      es.close();
    }
  });

  it('serves the same stream through hub.fetch (Web Request → Response)', async () => {
    const h = await hub();
    const res = await h.hub.fetch(new Request('http://hub.test/events?topic=leases'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const pub = await h.hub.fetch(
      new Request('http://hub.test/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'leases', type: 'lease-added', data: 1 }),
      }),
    );
    expect(pub.status).toBe(201);
    const { id } = (await pub.json()) as { id: string };
    const reader = res.body?.getReader();
    let text = '';
    while (!text.includes(`id: ${id}`)) {
      const { value } = (await reader?.read()) ?? {};
      text += new TextDecoder().decode(value);
    }
    expect(text).toMatch(/^retry: 3000\nevent: connected\ndata: \{/);
    await reader?.cancel();
    await until(() => h.hub.connections().length === 0);
  });

  it('serves everything under a base path', async () => {
    const h = await hub({ basePath: '/realtime' });
    const r = await fetch(`${h.url}/realtime/healthz`);
    expect(r.status).toBe(200);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(404);
  });

  it('delivers events targeted with "to" only to the named users', async () => {
    const h = await hub();
    const anon = await open(h.url, ['inbox']);
    await until(() => h.hub.connections().length === 1);
    await post(h.url, { topic: 'inbox', type: 'dm', data: 1, to: { users: ['u1'] } });
    await post(h.url, { topic: 'inbox', type: 'broadcast', data: 2 });
    await anon.waitForEvents(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(anon.events.map((e) => e.type)).toEqual(['broadcast']);
  });

  it('reports health with store, broker and connection count', async () => {
    const h = await hub();
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      store: 'memory',
      broker: 'memory',
      connections: 0,
    });
  });
});
