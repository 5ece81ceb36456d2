import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Broker,
  type CloseReason,
  CommandError,
  createHubServer,
  type HubOptions,
  type HubStats,
  installAdmin,
  installMetrics,
  localEngine,
  MemoryBroker,
  memoryStore,
  type PresenceStore,
} from '../src/index.js';
import { mint, PUBLISHER_KEY, SECRET } from './auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';
import { WsPeer } from './ws-helpers.js';

let running: RunningHub | undefined;
const peers: WsPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await running?.close();
  running = undefined;
});

async function hub(opts: HubOptions = {}): Promise<RunningHub> {
  running = await startHub(opts);
  return running;
}

async function open(...args: Parameters<typeof WsPeer.connect>): Promise<WsPeer> {
  const p = WsPeer.connect(...args);
  peers.push(p);
  await p.waitFor((m) => m.op === 'connected' || m.op === 'error');
  return p;
}

function connect(...args: Parameters<typeof WsPeer.connect>): WsPeer {
  const p = WsPeer.connect(...args);
  peers.push(p);
  return p;
}

const auth: HubOptions = { auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY } };

describe('WebSocket channel', () => {
  it('opens with a connected message like SSE, and carries the same envelope and ids', async () => {
    const h = await hub({ heartbeatMs: 10_000 });
    const peer = await open(h.url, ['jobs/1']);
    const sse = await StreamReader.open(h.url, ['jobs/1']);
    await sse.waitFor((r) => r.of('connected').length === 1);
    const c = peer.connected!;
    expect(c).toMatchObject({ op: 'connected', v: 1, topics: ['jobs/1'], heartbeatMs: 10_000 });
    expect(typeof c.connectionId).toBe('string');
    expect(typeof c.lastEventId).toBe('string');
    expect(peer.ws.protocol).toBe('tidings.v1');
    await h.hub.publish({ topic: 'jobs/1', type: 'job.progress', data: { pct: 10 } });
    await h.hub.publish({ topic: 'jobs/2', type: 'job.progress', data: { pct: 99 } });
    await h.hub.publish({ topic: 'jobs/1', type: 'job.progress', data: { pct: 20 } });
    const [a, b] = await peer.waitForEvents(2);
    const viaSse = await sse.waitForEvents(2);
    expect(peer.events).toHaveLength(2);
    const { op, ...envelope } = a!;
    expect(op).toBe('event');
    expect(envelope).toEqual(viaSse[0]);
    expect(b!.data).toEqual({ pct: 20 });
    const infos = h.hub.connections();
    expect(infos.map((i) => i.transport).sort()).toEqual(['sse', 'websocket']);
    const ws = infos.find((i) => i.transport === 'websocket')!;
    expect(ws.id).toBe(c.connectionId);
    expect(ws.eventsSent).toBe(2);
    await sse.close();
  });

  it('metrics and the admin figures count WebSocket connections by transport', async () => {
    const h = await hub();
    installMetrics(h.hub, { processMetrics: false });
    const admin = installAdmin(h.hub, { token: 'admin-token-0123456789abcdef0123456789' });
    const peer = await open(h.url, ['t']);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/tidings_connections_open\{transport="websocket"\} 1/);
    expect(text).toMatch(/tidings_connections_opened_total\{transport="websocket"\} 1/);
    const res = await fetch(`${h.url}/admin/stats`, {
      headers: { authorization: 'Bearer admin-token-0123456789abcdef0123456789' },
    });
    const stats = (await res.json()) as HubStats;
    expect(stats.connections.byTransport).toEqual({ websocket: 1 });
    expect(stats.connections.list[0]).toMatchObject({
      transport: 'websocket',
      id: peer.connected!.connectionId,
    });
    peer.close();
    await until(() => h.hub.connections().length === 0);
    const after = await (await fetch(`${h.url}/metrics`)).text();
    expect(after).toMatch(/tidings_connections_closed_total\{transport="websocket",reason="client"\} 1/);
    admin.stop();
  });

  it('answers ping with pong', async () => {
    const h = await hub();
    const peer = await open(h.url);
    const pong = await peer.request({ op: 'ping' });
    expect(pong.op).toBe('pong');
  });

  describe('commands', () => {
    it('ack with the result, nack for unknown, failing, refused and slow commands', async () => {
      const h = await hub({ commandTimeoutMs: 5_000 });
      const seen: unknown[] = [];
      h.hub.onCommand('job.pause', async (args: { jobId: string }, ctx) => {
        seen.push([args, ctx.transport, ctx.connectionId !== undefined]);
        return { jobId: args.jobId, status: 'paused' };
      });
      h.hub.onCommand('job.explode', () => {
        throw new Error('secret database password in this message');
      });
      h.hub.onCommand('job.refuse', () => {
        throw new CommandError('not-running', 'Job 7 is not running, so it cannot be paused.');
      });
      h.hub.onCommand('job.slow', (_a, ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r)), {
        timeoutMs: 100,
      });
      const peer = await open(h.url);
      const ack = await peer.request({ op: 'command', name: 'job.pause', args: { jobId: '7' } });
      expect(ack).toMatchObject({ op: 'ack', result: { jobId: '7', status: 'paused' } });
      expect(seen).toEqual([[{ jobId: '7' }, 'websocket', true]]);

      const unknown = await peer.request({ op: 'command', name: 'job.nope' });
      expect(unknown).toMatchObject({ op: 'nack', error: { code: 'unknown-command' } });
      expect(unknown.error.message).toMatch(/No command named "job\.nope"/);

      const failed = await peer.request({ op: 'command', name: 'job.explode' });
      expect(failed).toMatchObject({ op: 'nack', error: { code: 'command-failed' } });
      expect(failed.error.message).not.toMatch(/password/);

      const refused = await peer.request({ op: 'command', name: 'job.refuse' });
      expect(refused.error).toMatchObject({
        code: 'not-running',
        message: 'Job 7 is not running, so it cannot be paused.',
      });

      const slow = await peer.request({ op: 'command', name: 'job.slow' });
      expect(slow).toMatchObject({ op: 'nack', error: { code: 'timeout', timeoutMs: 100 } });

      // The connection is still serving.
      expect((await peer.request({ op: 'ping' })).op).toBe('pong');
    });

    it('are authorized by the tidings.commands grant, over WebSocket and HTTP alike', async () => {
      const h = await hub(auth);
      let runs = 0;
      h.hub.onCommand('job.pause', () => ++runs);
      h.hub.onCommand('admin.wipe', () => ++runs);
      const token = await mint({ sub: 'ann', tidings: { subscribe: ['jobs/**'], commands: ['job.*'] } });
      const none = await mint({ sub: 'bob', tidings: { subscribe: ['jobs/**'] } });

      const peer = await open(h.url, ['jobs/1'], { query: { token } });
      expect((await peer.request({ op: 'command', name: 'job.pause' })).result).toBe(1);
      const denied = await peer.request({ op: 'command', name: 'admin.wipe' });
      expect(denied).toMatchObject({ op: 'nack', error: { code: 'forbidden', command: 'admin.wipe' } });
      expect(denied.error.message).toMatch(/"job\.\*"/);

      const bobs = await open(h.url, ['jobs/1'], { query: { token: none } });
      const bobDenied = await bobs.request({ op: 'command', name: 'job.pause' });
      expect(bobDenied.error.code).toBe('forbidden');
      // Authorization comes first: a caller learns nothing of names it may not call.
      expect((await bobs.request({ op: 'command', name: 'job.nope' })).error.code).toBe('forbidden');

      const http = (name: string, t: string | undefined, body: unknown) =>
        post(h.url, body, {
          path: `/commands/${name}`,
          headers: t === undefined ? {} : { authorization: `Bearer ${t}` },
        });
      expect(await http('job.pause', token, {})).toMatchObject({ status: 200, body: { result: 2 } });
      expect((await http('admin.wipe', token, {})).status).toBe(403);
      expect((await http('job.pause', none, {})).status).toBe(403);
      expect((await http('job.pause', undefined, {})).status).toBe(401);
      expect((await http('job.nope', token, {})).body.error.code).toBe('unknown-command');
      expect(await http('admin.wipe', PUBLISHER_KEY, {})).toMatchObject({ status: 200, body: { result: 3 } });
      expect(runs).toBe(3);
    });

    it('over HTTP: arguments as the JSON body, errors with statuses', async () => {
      const h = await hub();
      h.hub.onCommand('echo', (args) => args);
      h.hub.onCommand('slow', () => new Promise(() => {}), { timeoutMs: 50 });
      const call = (name: string, body: unknown, headers?: Record<string, string>, raw?: string) =>
        post(h.url, body, { path: `/commands/${name}`, headers, ...(raw !== undefined && { raw }) });
      expect((await call('echo', { a: [1, 2] })).body).toEqual({ result: { a: [1, 2] } });
      expect((await call('echo', null, {}, '')).body).toEqual({ result: null });
      expect((await call('echo', null, {}, '{nope')).body.error.code).toBe('invalid-json');
      expect((await call('echo', null, { 'content-type': 'text/plain' }, '1')).status).toBe(415);
      expect((await call('slow', {})).status).toBe(504);
      expect((await call('bad name!', {})).status).toBe(400);
      const get = await fetch(`${h.url}/commands/echo`);
      expect(get.status).toBe(405);
      // The Web handler serves commands too.
      const viaFetch = await h.hub.fetch(
        new Request('http://hub.example/commands/echo', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"web":true}',
        }),
      );
      expect(await viaFetch.json()).toEqual({ result: { web: true } });
    });
  });

  describe('subscriptions on a live connection', () => {
    it('subscribe and unsubscribe change what arrives without reconnecting', async () => {
      const h = await hub();
      const peer = await open(h.url, ['a']);
      const ack = await peer.request({ op: 'subscribe', topics: ['b/**'] });
      expect(ack).toMatchObject({ op: 'ack', result: { topics: ['a', 'b/**'] } });
      await h.hub.publish({ topic: 'b/1', type: 't', data: 1 });
      await h.hub.publish({ topic: 'a', type: 't', data: 2 });
      await h.hub.publish({ topic: 'c', type: 't', data: 3 });
      await peer.waitForEvents(2);
      const un = await peer.request({ op: 'unsubscribe', topics: ['a'] });
      expect(un.result).toEqual({ topics: ['b/**'] });
      await h.hub.publish({ topic: 'a', type: 't', data: 4 });
      await h.hub.publish({ topic: 'b/2', type: 't', data: 5 });
      await peer.waitForEvents(3);
      await peer.request({ op: 'ping' });
      expect(peer.events.map((e) => e.data)).toEqual([1, 2, 5]);
      expect(h.hub.connections()[0]?.topics).toEqual(['b/**']);
      // Only one connection was ever opened.
      expect(peer.messages.filter((m) => m.op === 'connected')).toHaveLength(1);
    });

    it('subscribe with lastEventId replays the new topics once, even where a live topic overlaps', async () => {
      const h = await hub();
      const peer = await open(h.url, ['x/1']);
      const first = await h.hub.publish({ topic: 'x/1', type: 't', data: 'first' });
      await peer.waitForEvents(1);
      await h.hub.publish({ topic: 'x/2', type: 't', data: 'missed on x/2' });
      await h.hub.publish({ topic: 'x/1', type: 't', data: 'live on x/1' });
      await peer.waitForEvents(2);
      // x/** overlaps the live x/1: its replay must not repeat what x/1 delivered.
      const ack = await peer.request({ op: 'subscribe', topics: ['x/**'], lastEventId: first.id });
      expect(ack.op).toBe('ack');
      await h.hub.publish({ topic: 'x/3', type: 't', data: 'after' });
      await peer.waitForEvents(4);
      await peer.request({ op: 'ping' });
      expect(peer.events.map((e) => e.data)).toEqual(['first', 'live on x/1', 'missed on x/2', 'after']);
    });

    it('refuses topics the token does not grant, and keeps the connection', async () => {
      const h = await hub(auth);
      const token = await mint({ sub: 'ann', tidings: { subscribe: ['user/ann/**'] } });
      const peer = await open(h.url, [], { query: { token } });
      const nack = await peer.request({ op: 'subscribe', topics: ['user/bob/inbox'] });
      expect(nack).toMatchObject({ op: 'nack', error: { code: 'forbidden', topic: 'user/bob/inbox' } });
      const ok = await peer.request({ op: 'subscribe', topics: ['user/ann/inbox'] });
      expect(ok.op).toBe('ack');
      await h.hub.publish({ topic: 'user/bob/inbox', type: 't', data: 'not yours' });
      await h.hub.publish({ topic: 'user/ann/inbox', type: 't', data: 'yours' });
      await peer.waitForEvents(1);
      await peer.request({ op: 'ping' });
      expect(peer.events.map((e) => e.data)).toEqual(['yours']);
    });
  });

  it('a reconnection with lastEventId replays exactly what was missed while publishers are busy', async () => {
    const h = await hub({ replayPageSize: 7 });
    let n = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await h.hub.publish({ topic: 'busy', type: 't', data: n++ });
        // The memory store answers in microtasks: let sockets run.
        await new Promise((r) => setImmediate(r));
      }
    })();
    const one = await open(h.url, ['busy']);
    await one.waitForEvents(20);
    one.close();
    const last = one.events[one.events.length - 1]!;
    await until(() => n > last.data + 50);
    const two = await open(h.url, ['busy'], { query: { lastEventId: last.id } });
    await two.waitForEvents(100);
    publishing = false;
    await publisher;
    const total = n;
    await two.waitFor(() => two.events.length > 0 && two.events[two.events.length - 1]!.data === total - 1);
    const seen = [...one.events, ...two.events].map((e) => e.data);
    expect(seen).toEqual([...Array(total).keys()].slice(seen[0]));
    expect(two.connected!.lastEventId).toBe(last.id);
  });

  it('sends no event twice when live delivery lags behind history (a networked broker)', async () => {
    const broker = new MemoryBroker();
    const lagging: Broker = {
      kind: 'lagging',
      publish: async (events) => {
        setTimeout(() => broker.publishSync(events), 30);
      },
      subscribe: (l) => broker.subscribe(l),
      sendControl: (m) => broker.sendControl(m),
      onControl: (l) => broker.onControl(l),
      close: () => broker.close(),
    };
    const h = await hub({ engine: localEngine(memoryStore(), lagging) });
    const published = await h.hub.publish(
      Array.from({ length: 5 }, (_, i) => ({ topic: 'lag', type: 't', data: i })),
    );
    const [first, ...rest] = published.map((p) => p.id);
    // The four later events are in history but not yet delivered live on this node.
    const peer = await open(h.url, ['lag'], { query: { lastEventId: first as string } });
    await peer.waitForEvents(4);
    const live = await h.hub.publish([
      { topic: 'lag', type: 't', data: 5 },
      { topic: 'lag', type: 't', data: 6 },
    ]);
    await peer.waitForEvents(6);
    // A ping answered after the late copies had their chance to arrive.
    await new Promise((r) => setTimeout(r, 60));
    await peer.request({ op: 'ping' });
    expect(peer.ids()).toEqual([...rest, ...live.map((p) => p.id)]);
  });

  it('closes every connection with 4010 when the broker reports a gap, so clients resume', async () => {
    const broker = new MemoryBroker();
    let gap: (() => void) | undefined;
    const gappy: Broker = {
      kind: 'gappy',
      publish: (events) => broker.publish(events),
      subscribe: (l) => broker.subscribe(l),
      sendControl: (m) => broker.sendControl(m),
      onControl: (l) => broker.onControl(l),
      onGap: (l) => {
        gap = l;
        return () => {};
      },
      close: () => broker.close(),
    };
    const closes: CloseReason[] = [];
    const h = await hub({
      engine: localEngine(memoryStore(), gappy),
      observers: [{ connectionClosed: (_c, r) => closes.push(r) }],
    });
    const peer = await open(h.url, ['t']);
    gap?.();
    expect((await peer.waitClosed()).code).toBe(4010);
    expect(closes).toEqual(['resync']);
  });

  it('presence follows topics changed on a live connection, locally and in a shared store', async () => {
    const count = async (h: RunningHub, topic: string) =>
      ((await (await fetch(`${h.url}/presence?topic=${topic}`)).json()) as { connections: number })
        .connections;
    let h = await hub();
    let peer = await open(h.url, ['a']);
    await peer.request({ op: 'subscribe', topics: ['b'] });
    expect([await count(h, 'a'), await count(h, 'b')]).toEqual([1, 1]);
    await peer.request({ op: 'unsubscribe', topics: ['a'] });
    expect([await count(h, 'a'), await count(h, 'b')]).toEqual([0, 1]);
    peer.close();
    await running?.close();

    // A store shared by several nodes (as Redis) hears of the change.
    const entries = new Map<string, readonly string[]>();
    const shared: PresenceStore = {
      kind: 'shared',
      async announce(es) {
        for (const e of es) entries.set(e.connectionId, e.topics);
      },
      async withdraw(es) {
        for (const e of es) entries.delete(e.connectionId);
      },
      async query(topic) {
        const n = [...entries.values()].filter((ts) => ts.includes(topic)).length;
        return { connections: n, users: [] };
      },
      async close() {},
    };
    h = await hub({ engine: { ...localEngine(memoryStore()), presence: shared } });
    peer = await open(h.url, ['a']);
    await until(() => entries.size === 1);
    await peer.request({ op: 'subscribe', topics: ['b'] });
    await until(() => (entries.values().next().value ?? []).length === 2);
    expect(await count(h, 'b')).toBe(1);
    await peer.request({ op: 'unsubscribe', topics: ['a'] });
    await until(() => (entries.values().next().value ?? []).length === 1);
    expect([await count(h, 'a'), await count(h, 'b')]).toEqual([0, 1]);
    peer.close();
  });

  it('sends reset for an unknown id, as SSE does', async () => {
    const h = await hub();
    const peer = await open(h.url, ['t'], { query: { lastEventId: 'nope' } });
    const reset = await peer.waitFor((m) => m.op === 'reset');
    expect(reset).toEqual({ op: 'reset', reason: 'unknown-id', lastEventId: 'nope' });
  });

  it('closes a peer that stops answering pings', async () => {
    const closes: CloseReason[] = [];
    const h = await hub({
      heartbeatMs: 100,
      observers: [{ connectionClosed: (_c, r) => closes.push(r) }],
    });
    const healthy = await open(h.url, ['t']);
    const silent = await open(h.url, ['t'], { autoPong: false });
    await silent.waitClosed();
    expect(closes).toEqual(['heartbeat-timeout']);
    expect(healthy.closed).toBeUndefined();
    expect(h.hub.connections()).toHaveLength(1);
  });

  describe('bad input', () => {
    it('gets precise nacks, and everyone else keeps receiving every event', async () => {
      const h = await hub({ maxCommandBytes: 1024 });
      const bystander = await open(h.url, ['t']);
      const bad = await open(h.url, ['t']);
      let i = 0;
      const cases: [string, string, RegExp][] = [
        ['{nope', 'invalid-json', /not valid JSON/],
        ['[1]', 'invalid-message', /JSON object with an "op"/],
        ['{"op":"dance","id":"d"}', 'unknown-message', /"dance" is unknown/],
        ['{"op":"ping"}', 'invalid-message', /needs an "id"/],
        ['{"op":"command","id":"c","name":"no spaces allowed"}', 'invalid-message', /dot-separated/],
        ['{"op":"subscribe","id":"s","topics":[]}', 'invalid-message', /non-empty list/],
        ['{"op":"subscribe","id":"s","topics":["a//b"]}', 'invalid-pattern', /empty segment/],
        ['{"op":"ping","id":"p","extra":1}', 'invalid-message', /no field "extra"/],
        ['{"op":"ping","id":"p","v":2}', 'unsupported-version', /version 1/],
        [
          JSON.stringify({ op: 'command', id: 'big', name: 'x', args: 'y'.repeat(2000) }),
          'message-too-large',
          /at most 1024/,
        ],
      ];
      for (const [raw, code, message] of cases) {
        await h.hub.publish({ topic: 't', type: 't', data: i++ });
        const before = bad.messages.filter((m) => m.op === 'nack').length;
        bad.send(raw);
        await until(() => bad.messages.filter((m) => m.op === 'nack').length > before);
        const got = bad.messages.filter((m) => m.op === 'nack')[before]!;
        expect(got.error.code, raw).toBe(code);
        expect(got.error.message, raw).toMatch(message);
        expect(got.error.message, raw).toMatch(/[.!?]$/);
      }
      const nacks = bad.messages.filter((m) => m.op === 'nack');
      expect(nacks.find((m) => m.error.code === 'unknown-message')?.id).toBe('d');
      await bystander.waitForEvents(cases.length);
      await bad.waitForEvents(cases.length);
      expect(bystander.events.map((e) => e.data)).toEqual([...Array(cases.length).keys()]);
      expect(bad.closed).toBeUndefined();
    });

    it('a connection flooding messages gets rate-limited nacks; others are not affected', async () => {
      const h = await hub({ webSocketMessageRate: { perSecond: 0.01, burst: 5 } });
      const flood = await open(h.url, ['t']);
      const calm = await open(h.url, ['t']);
      for (let i = 0; i < 10; i++) flood.send({ op: 'ping', id: `p${i}` });
      await until(() => flood.messages.filter((m) => m.op === 'pong' || m.op === 'nack').length === 10);
      expect(flood.messages.filter((m) => m.op === 'pong').map((m) => m.id)).toEqual([
        'p0',
        'p1',
        'p2',
        'p3',
        'p4',
      ]);
      const nacks = flood.messages.filter((m) => m.op === 'nack');
      expect(nacks).toHaveLength(5);
      expect(nacks[0]?.error).toMatchObject({ code: 'rate-limited', option: 'webSocketMessageRate' });
      expect(nacks[0]?.error.message).toMatch(/slow down/);
      expect((await calm.request({ op: 'ping' })).op).toBe('pong');
      await h.hub.publish({ topic: 't', type: 't', data: 1 });
      await flood.waitForEvents(1);
      expect(flood.closed).toBeUndefined();
    });

    it('closes a connection sending binary frames (1003) or a message past the hard limit (1009)', async () => {
      const h = await hub({ maxCommandBytes: 1024, maxBodyBytes: 4096 });
      const bin = await open(h.url, ['t']);
      bin.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect(await bin.waitClosed()).toMatchObject({
        code: 1003,
        reason: expect.stringMatching(/text frames/),
      });
      const huge = await open(h.url, ['t']);
      huge.send('x'.repeat(5000));
      expect((await huge.waitClosed()).code).toBe(1009);
      const fine = await open(h.url, ['t']);
      expect((await fine.request({ op: 'ping' })).op).toBe('pong');
    });
  });

  it('drops a consumer that stops reading, which resumes without loss', async () => {
    const closes: CloseReason[] = [];
    const h = await hub({
      maxBufferBytes: 64 * 1024,
      observers: [{ connectionClosed: (_c, r) => closes.push(r) }],
    });
    const slow = await open(h.url, ['t']);
    const big = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 3; i++) await h.hub.publish({ topic: 't', type: 't', data: { i, big } });
    await slow.waitForEvents(3);
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    // The kernel's socket buffers absorb a few MiB before the hub's own queue grows.
    for (let i = 3; i < 5000 && !closes.includes('slow-consumer'); i++) {
      await h.hub.publish({ topic: 't', type: 't', data: { i, big } });
      await new Promise((r) => setImmediate(r));
    }
    expect(closes).toContain('slow-consumer');
    socket.resume();
    await slow.waitClosed();
    const lastSeen = slow.events[slow.events.length - 1]!;
    const resumed = await open(h.url, ['t'], { query: { lastEventId: lastSeen.id } });
    await h.hub.publish({ topic: 't', type: 't', data: { i: 'end' } });
    await resumed.waitFor((m) => m.op === 'event' && m.data.i === 'end', 10_000);
    const all = [...slow.events, ...resumed.events].map((e) => e.data.i);
    expect(all.length).toBeGreaterThan(10);
    expect(all).toEqual([...[...Array(all.length - 1).keys()], 'end']);
  });

  describe('the upgrade', () => {
    it('refuses missing or bad tokens after the handshake with 4000 + status and the reason', async () => {
      const h = await hub(auth);
      const none = connect(h.url, ['t']);
      const err = await none.waitFor((m) => m.op === 'error');
      expect(err).toMatchObject({ status: 401, error: { code: 'unauthorized' } });
      expect((await none.waitClosed()).code).toBe(4401);
      const token = await mint({ sub: 'ann', tidings: { subscribe: ['mine'] } });
      const forbidden = connect(h.url, ['theirs'], { query: { token } });
      expect((await forbidden.waitClosed()).code).toBe(4403);
      const ok = await open(h.url, ['mine'], { headers: { authorization: `Bearer ${token}` } });
      expect(ok.connected).toBeDefined();
      // The cookie, from a page on the hub's own origin; from another site it is refused.
      const cookie = { cookie: `access_token=${token}` };
      const same = await open(h.url, ['mine'], { headers: { ...cookie, origin: h.url } });
      expect(same.connected).toBeDefined();
      const csrf = connect(h.url, ['mine'], { headers: { ...cookie, origin: 'https://evil.example' } });
      expect((await csrf.waitFor((m) => m.op === 'error')).error.code).toBe('origin-not-allowed');
      expect((await csrf.waitClosed()).code).toBe(4403);
    });

    it('checks the origin against the CORS allow-list', async () => {
      const h = await hub({ cors: { origins: ['https://app.example'] } });
      const evil = connect(h.url, ['t'], { headers: { origin: 'https://evil.example' } });
      const err = await evil.waitFor((m) => m.op === 'error');
      expect(err.error).toMatchObject({ code: 'origin-not-allowed', origin: 'https://evil.example' });
      expect((await evil.waitClosed()).code).toBe(4403);
      const app = await open(h.url, ['t'], { headers: { origin: 'https://app.example' } });
      expect(app.connected).toBeDefined();
      const same = await open(h.url, ['t'], { headers: { origin: h.url } });
      expect(same.connected).toBeDefined();
    });

    it('applies the connection limits', async () => {
      const h = await hub({ ...auth, limits: { connectionsPerUser: 1 } });
      const token = await mint({ sub: 'ann', tidings: { subscribe: ['t'] } });
      const one = await open(h.url, ['t'], { query: { token } });
      const two = connect(h.url, ['t'], { query: { token } });
      expect((await two.waitClosed()).code).toBe(4429);
      // Runtime subscriptions do not take another slot.
      expect((await one.request({ op: 'subscribe', topics: ['t'] })).op).toBe('ack');
      one.close();
      await until(() => h.hub.connections().length === 0);
      const three = await open(h.url, ['t'], { query: { token } });
      expect(three.connected).toBeDefined();
    });

    it('refuses a subprotocol it does not speak, and $ topics', async () => {
      const h = await hub();
      const other = connect(h.url, ['t'], { protocols: ['graphql-ws'] });
      await other.waitClosed();
      expect(other.opened).toBe(false);
      const sys = connect(h.url, ['$sys/stats']);
      expect((await sys.waitClosed()).code).toBe(4400);
      // An upgrade elsewhere is answered over HTTP, and the hub serves on.
      const elsewhere = connect(h.url, ['t'], { path: '/events' });
      let status = 0;
      elsewhere.ws.on('unexpected-response', (req, res) => {
        status = res.statusCode ?? 0;
        req.destroy();
      });
      await until(() => status !== 0);
      expect(status).toBe(400);
      expect(elsewhere.opened).toBe(false);
      expect(h.hub.connections()).toHaveLength(0);
      const fine = await open(h.url, ['t']);
      expect(fine.connected).toBeDefined();
    });

    it('GET /ws without an upgrade, or on a server that does not wire upgrades, says what to do', async () => {
      const h = await hub();
      const res = await fetch(`${h.url}/ws`);
      expect(res.status).toBe(426);
      expect((await res.json()).error.message).toMatch(/hub\.handleUpgrade/);
      const server = createServer(h.hub.handleNode);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const unwired = connect(url, ['t']);
      await unwired.waitClosed();
      expect(unwired.opened).toBe(false);
      server.closeAllConnections();
      server.close();
    });

    it('createHubServer(hub.handleNode) serves WebSocket without further wiring', async () => {
      const h = await hub();
      const server = createHubServer(h.hub.handleNode);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const peer = await open(url, ['t']);
      expect(peer.connected).toBeDefined();
      peer.close();
      server.closeAllConnections();
      server.close();
    });
  });

  describe('lifecycle', () => {
    it('token expiry and forced logout send their notice, then close with their code', async () => {
      const h = await hub(auth);
      const short = await mint({ sub: 'ann', tidings: { subscribe: ['t'] } }, { expIn: 1 });
      const expiring = await open(h.url, ['t'], { query: { token: short } });
      await expiring.waitFor((m) => m.op === 'token-expired', 5000);
      expect((await expiring.waitClosed()).code).toBe(4001);

      const token = await mint({ sub: 'bob', sid: 's1', tidings: { subscribe: ['t'] } });
      const bob = await open(h.url, ['t'], { query: { token } });
      const r = await post(
        h.url,
        { user: 'bob', reason: 'Your account was suspended.' },
        { path: '/disconnect', headers: { authorization: `Bearer ${PUBLISHER_KEY}` } },
      );
      expect(r.body).toEqual({ disconnected: 1 });
      expect(await bob.waitFor((m) => m.op === 'force-logout')).toEqual({
        op: 'force-logout',
        reason: 'Your account was suspended.',
      });
      expect((await bob.waitClosed()).code).toBe(4002);
    });

    it('hub.close() closes WebSocket connections with 1001', async () => {
      running = await startHub({ store: memoryStore() });
      const peer = await open(running.url, ['t']);
      const closing = running.close();
      running = undefined;
      expect((await peer.waitClosed()).code).toBe(1001);
      await closing;
    });
  });
});
