import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type NatsEngine, natsEngine } from '../src/engines/nats/index.js';
import { post, type RunningHub, StreamReader, startHub } from './helpers.js';
import { deleteNatsPrefix, needNats, needNatsServer, OwnNats, uniqueNatsPrefix } from './nats-services.js';

/**
 * Several hubs in this process, each with its own NATS engine (its own connection), as separate
 * nodes would have: on the shared NATS with a prefix per test, and on a private nats-server for
 * restarts and purges.
 */
const url = await needNats(import.meta.url);
const haveServer = url !== undefined && needNatsServer(import.meta.url);

const hubs: RunningHub[] = [];
const readers: StreamReader[] = [];
const servers: OwnNats[] = [];
const prefixes: string[] = [];

afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of hubs.splice(0)) await h.close();
  for (const s of servers.splice(0)) await s.destroy();
});
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteNatsPrefix(url, p);
});

function newPrefix(): string {
  const p = uniqueNatsPrefix('nodes');
  prefixes.push(p);
  return p;
}

async function node(prefix: string, at = url as string): Promise<RunningHub & { engine: NatsEngine }> {
  const engine = natsEngine(at, { prefix, presenceTtlMs: 3000 });
  await engine.ready();
  const h = await startHub({ engine, heartbeatMs: 100 });
  hubs.push(h);
  return Object.assign(h, { engine });
}

async function open(...args: Parameters<typeof StreamReader.open>): Promise<StreamReader> {
  const r = await StreamReader.open(...args);
  readers.push(r);
  return r;
}

async function publish(h: RunningHub, topic: string, data: unknown, id?: string): Promise<string> {
  const res = await post(h.url, { topic, type: 't', data, ...(id && { id }) });
  if (res.status !== 201) throw new Error(`publish answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function get(h: RunningHub, path: string) {
  const res = await fetch(new URL(path, h.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const ids = (r: StreamReader) => r.events.map((e) => e.id);

describe.skipIf(!url)('hub nodes on NATS', () => {
  it('delivers a publish on one node to subscribers on the other; a resume on the other node replays what was missed, across topics', async () => {
    const p = newPrefix();
    const [a, b] = [await node(p), await node(p)];
    const onB = await open(b.url, ['room/*']);
    const onB1 = await open(b.url, ['room/1']);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push(await publish(a, `room/${(i % 2) + 1}`, { i }));
    await onB.waitForEvents(6);
    await onB1.waitForEvents(3);
    expect(ids(onB)).toEqual(sent);
    expect(ids(onB1)).toEqual(sent.filter((_, i) => i % 2 === 0));

    // Resume on the other node from the first event, over a pattern and over two exact topics:
    // exactly the rest, in the one order of the stream.
    const resumed = await open(b.url, ['room/*'], { lastEventId: sent[0] });
    await resumed.waitForEvents(5);
    expect(ids(resumed)).toEqual(sent.slice(1));
    expect(resumed.of('reset')).toEqual([]);
    const both = await open(a.url, ['room/2', 'room/1'], { lastEventId: sent[1] });
    await both.waitForEvents(4);
    expect(ids(both)).toEqual(sent.slice(2));

    // A supplied id is idempotent across nodes: the second publish (on the other node) is not delivered.
    expect(await publish(b, 'room/1', { v: 1 }, 'order-7')).toBe('order-7');
    const again = await post(a.url, { topic: 'room/1', type: 't', data: { v: 2 }, id: 'order-7' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: 'order-7', duplicate: true, event: { data: { v: 1 } } });
    const marker = await publish(a, 'room/1', 'marker');
    await onB1.waitFor((r) => ids(r).includes(marker));
    expect(ids(onB1).filter((id) => id === 'order-7')).toHaveLength(1);
  });

  it('answers /healthz ok with the nats store and broker, and counts presence across nodes', async () => {
    const p = newPrefix();
    const [a, b] = [await node(p), await node(p)];
    expect(await get(a, '/healthz')).toMatchObject({
      status: 200,
      body: { status: 'ok', store: 'nats', broker: 'nats' },
    });
    await open(a.url, ['lobby']);
    await open(b.url, ['lobby', 'room/*']);
    const end = Date.now() + 5000;
    let body: Record<string, unknown> = {};
    while (Date.now() < end) {
      body = (await get(b, '/presence?topic=lobby')).body;
      if (body.connections === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ topic: 'lobby', connections: 2 });
  });
});

describe.skipIf(!haveServer)('hub nodes on a NATS that restarts or loses its stream', () => {
  it('keeps streams open across a nats-server restart and delivers what was published after it, gap-free', async () => {
    const server = await OwnNats.start();
    servers.push(server);
    const p = newPrefix();
    const [a, b] = [await node(p, server.url), await node(p, server.url)];
    const onB = await open(b.url, ['p']);
    const first = await publish(a, 'p', 0);
    await onB.waitForEvents(1);

    await server.stop();
    const refused = await post(a.url, { topic: 'p', type: 't', data: 'x' });
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toMatch(
      /^NATS at nats:\/\/127\.0\.0\.1:\d+ is unreachable.*Retry in a moment\.$/,
    );
    await server.start();

    const later: string[] = [];
    const end = Date.now() + 15_000;
    while (later.length < 3) {
      const res = await post(a.url, { topic: 'p', type: 't', data: later.length });
      if (res.status === 201) later.push(res.body.id as string);
      else if (Date.now() > end) throw new Error(`publish after restart answered ${res.status}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
    await onB.waitForEvents(4, 15_000);
    expect(ids(onB)).toEqual([first, ...later]);
    expect(onB.of('reset')).toEqual([]);
    // A resume on the other node after the restart is exact too.
    const resumed = await open(b.url, ['p'], { lastEventId: first });
    await resumed.waitForEvents(3);
    expect(ids(resumed)).toEqual(later);
    expect(resumed.of('reset')).toEqual([]);
  });

  it('ends in reset, never silence, when the stream is purged behind the hub', async () => {
    const server = await OwnNats.start();
    servers.push(server);
    const p = newPrefix();
    const [a, b] = [await node(p, server.url), await node(p, server.url)];
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(await publish(a, 't', i));

    const nc = await connect({ servers: server.url.replace('nats://', '') });
    try {
      await (await jetstreamManager(nc)).streams.purge(`${p}_events`);
    } finally {
      await nc.close();
    }

    // A client that saw the first event resumes on either node: the events after it are gone,
    // so it must be told (reset) rather than get only what came later as if nothing was lost.
    for (const h of [a, b]) {
      const resumed = await open(h.url, ['t'], { lastEventId: seen[0] });
      await resumed.waitFor((r) => r.of('reset').length > 0 || r.ended, 5000);
      expect(resumed.of('reset')).toHaveLength(1);
    }
    // The hub goes on storing and resuming in the new history.
    const after = await publish(a, 't', 'after the purge');
    const more = await publish(b, 't', 'more');
    const fresh = await open(b.url, ['t'], { lastEventId: after });
    await fresh.waitForEvents(1);
    expect(ids(fresh)).toEqual([more]);
  });
});
