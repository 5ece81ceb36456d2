import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ClientOptions,
  CommandError,
  createClient,
  type StorageLike,
  type TidingsClient,
  type WebSocketConstructor,
} from '@tidings/client';
import { createHub, type Hub, type HubOptions, memoryStore } from '@tidings/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mint, SECRET } from '../../server/test/auth-helpers.js';
import {
  closedPort,
  FreezingProxy,
  quietEnv,
  type RunningHub,
  record,
  startHub,
  until,
  waitForState,
} from './helpers.js';

const WS = WebSocket as unknown as WebSocketConstructor;

let running: RunningHub | undefined;
const clients: TidingsClient[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const f of cleanups.splice(0)) await f();
  await running?.close();
  running = undefined;
});

async function hub(opts: HubOptions = {}): Promise<RunningHub> {
  running = await startHub(opts);
  return running;
}

function client(
  url: string,
  o: Partial<ClientOptions> = {},
  extra: Parameters<typeof quietEnv>[0] = {},
): TidingsClient {
  const c = createClient({
    url: `${url}/events`,
    topics: ['jobs/1'],
    transport: 'websocket',
    backoff: { initialMs: 20, maxMs: 100 },
    ...o,
    environment: quietEnv({ WebSocket: WS, ...extra }),
  } as ClientOptions);
  clients.push(c);
  return c;
}

const connected = (c: TidingsClient) => waitForState(c, (s) => s.status === 'connected');

async function rejection(p: Promise<unknown>): Promise<CommandError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CommandError);
    return e as CommandError;
  }
  throw new Error('expected the promise to reject');
}

describe('client over WebSocket', () => {
  it('receives events, measures latency and shows up as a websocket connection', async () => {
    const h = await hub({ heartbeatMs: 200 });
    const c = client(h.url);
    const r = record(c);
    c.connect();
    await connected(c);
    expect(c.transport).toBe('websocket');
    expect(h.hub.connections().map((i) => i.transport)).toEqual(['websocket']);
    expect(c.state.connectionId).toBe(h.hub.connections()[0]?.id);
    const sent = await h.hub.publish({ topic: 'jobs/1', type: 'job.progress', data: { pct: 5 } });
    await until(() => r.events.length === 1);
    expect(r.events[0]).toMatchObject({
      id: sent.id,
      topic: 'jobs/1',
      type: 'job.progress',
      data: { pct: 5 },
    });
    expect(c.state.lastEventId).toBe(sent.id);
    await until(() => c.latencyMs !== null);
    expect(Number.isFinite(c.latencyMs)).toBe(true);
    expect(c.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('commands: result, hub errors, client timeout, and not connected', async () => {
    const h = await hub();
    h.hub.onCommand('job.pause', (args: { jobId: string }) => ({ paused: args.jobId }));
    h.hub.onCommand('job.fail', () => {
      throw new Error('internal detail');
    });
    // Only the client's own timeout can answer this one.
    h.hub.onCommand('job.slow', () => new Promise(() => {}), { timeoutMs: 60_000 });
    h.hub.onCommand(
      'echo.after',
      (a: { v: number; ms: number }) => new Promise((r) => setTimeout(() => r(a.v), a.ms)),
    );
    const c = client(h.url);
    await expect(c.command('job.pause', { jobId: '1' })).rejects.toMatchObject({ code: 'not-connected' });
    c.connect();
    // Sent while connecting: it waits for the connection.
    const early = c.command('job.pause', { jobId: '0' });
    expect(await early).toEqual({ paused: '0' });
    expect(await c.command('job.pause', { jobId: '7' })).toEqual({ paused: '7' });
    // Answers come back out of order and still reach their callers.
    expect(
      await Promise.all([
        c.command('echo.after', { v: 1, ms: 150 }),
        c.command('echo.after', { v: 2, ms: 50 }),
        c.command('echo.after', { v: 3, ms: 0 }),
      ]),
    ).toEqual([1, 2, 3]);
    expect((await rejection(c.command('job.nope'))).code).toBe('unknown-command');
    const failed = await rejection(c.command('job.fail'));
    expect(failed.code).toBe('command-failed');
    expect(failed.message).not.toMatch(/internal detail/);
    const slow = await rejection(c.command('job.slow', null, { timeoutMs: 100 }));
    expect(slow.code).toBe('timeout');
    expect(slow.message).toMatch(/^No answer to the command "job.slow" within 100 ms/);
    await expect(c.command('not a name')).rejects.toThrow(TypeError);
  });

  it('a command in flight when the connection drops fails with connection-lost, and is not sent again', async () => {
    const h = await hub();
    let runs = 0;
    h.hub.onCommand('job.hang', () => {
      runs++;
      return new Promise(() => {});
    });
    const c = client(h.url);
    c.connect();
    await connected(c);
    const p = c.command('job.hang', null, { timeoutMs: 10_000 });
    await until(() => runs === 1);
    h.hub.disconnect(c.state.connectionId as string);
    expect((await rejection(p)).code).toBe('connection-lost');
    await connected(c);
    expect(runs).toBe(1);
  });

  it('commands are authorized by the token', async () => {
    const h = await hub({ auth: { jwt: { secret: SECRET } } });
    h.hub.onCommand('job.pause', () => 'ok');
    h.hub.onCommand('admin.wipe', () => 'wiped');
    const token = await mint({ sub: 'ann', tidings: { subscribe: ['jobs/**'], commands: ['job.*'] } });
    for (const transport of ['websocket', 'sse'] as const) {
      const c = client(h.url, { token, transport });
      c.connect();
      await connected(c);
      expect(await c.command('job.pause')).toBe('ok');
      const denied = await rejection(c.command('admin.wipe'));
      expect(denied.code).toBe('forbidden');
      if (transport === 'sse') expect(denied.status).toBe(403);
      c.disconnect();
    }
  });

  it('token expiry: a fresh token, resuming without loss; forced logout: disconnected', async () => {
    const h = await hub({
      auth: { jwt: { secret: SECRET }, publisherKey: 'pk-0123456789abcdef0123456789abcdef' },
    });
    const reasons: string[] = [];
    const c = client(h.url, {
      token: async ({ reason }) => {
        reasons.push(reason);
        // The first token expires almost at once; the fresh one lasts.
        return mint(
          { sub: 'ann', sid: 's1', tidings: { subscribe: ['jobs/**'] } },
          { expIn: reasons.length === 1 ? 1 : 3600 },
        );
      },
    });
    const r = record(c);
    c.connect();
    await connected(c);
    const a = await h.hub.publish({ topic: 'jobs/1', type: 't', data: 'before' });
    await until(() => r.events.length === 1);
    await until(() => reasons.includes('expired'), 10_000);
    const b = await h.hub.publish({ topic: 'jobs/1', type: 't', data: 'after' });
    await until(() => r.events.length === 2);
    expect(r.ids()).toEqual([a.id, b.id]);
    expect(reasons.slice(0, 2)).toEqual(['connect', 'expired']);

    const logouts: string[] = [];
    c.onForceLogout((p) => logouts.push(p.reason));
    await connected(c);
    await fetch(`${h.url}/disconnect`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer pk-0123456789abcdef0123456789abcdef',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ session: 's1', reason: 'Signed out elsewhere.' }),
    });
    await waitForState(c, (s) => s.status === 'disconnected');
    expect(c.state).toMatchObject({ reason: 'force-logout', logoutReason: 'Signed out elsewhere.' });
    await until(() => logouts.length === 1);
    expect(logouts).toEqual(['Signed out elsewhere.']);
  });

  it('on SSE, commands go over POST /commands/{name}', async () => {
    const h = await hub();
    const seen: string[] = [];
    h.hub.onCommand('job.resume', (_a, ctx) => {
      seen.push(ctx.transport);
      return { resumed: true };
    });
    const c = client(h.url, { transport: 'sse' });
    c.connect();
    await connected(c);
    expect(c.transport).toBe('sse');
    expect(await c.command('job.resume')).toEqual({ resumed: true });
    expect((await rejection(c.command('job.nope'))).status).toBe(404);
    expect(seen).toEqual(['http']);
    expect(c.latencyMs).toBeNull();
  });

  it('subscribe and unsubscribe change a live WebSocket connection without reconnecting', async () => {
    const h = await hub({ auth: { jwt: { secret: SECRET } } });
    const token = await mint({ sub: 'ann', tidings: { subscribe: ['jobs/**'] } });
    const c = client(h.url, { token });
    const r = record(c);
    const resets: string[] = [];
    c.onReset((x) => resets.push(x.reason));
    c.connect();
    await connected(c);
    const id = c.state.connectionId;
    // No event yet: the new topic resumes from the point the hub gave in its connected message.
    await c.subscribe('jobs/2');
    expect(c.topics).toEqual(['jobs/1', 'jobs/2']);
    await h.hub.publish({ topic: 'jobs/2', type: 't', data: 'two' });
    await until(() => r.events.length === 1);
    await c.unsubscribe('jobs/1');
    await h.hub.publish({ topic: 'jobs/1', type: 't', data: 'one' });
    await h.hub.publish({ topic: 'jobs/2', type: 't', data: 'two again' });
    await until(() => r.events.length === 2);
    expect(r.events.map((e) => e.data)).toEqual(['two', 'two again']);
    expect(resets).toEqual([]);
    const refused = await rejection(c.subscribe('admin/secrets'));
    expect(refused.code).toBe('forbidden');
    expect(c.topics).toEqual(['jobs/2']);
    await expect(c.unsubscribe('jobs/2')).rejects.toThrow(/at least one topic/);
    expect(c.state.connectionId).toBe(id);
    expect(r.statuses.filter((s) => s === 'connected')).toHaveLength(1);
  });

  it('on SSE, subscribe reconnects with the new topics and resumes from the last id', async () => {
    const h = await hub();
    const c = client(h.url, { transport: 'sse' });
    const r = record(c);
    c.connect();
    await connected(c);
    await h.hub.publish({ topic: 'jobs/1', type: 't', data: 1 });
    await until(() => r.events.length === 1);
    const first = c.state.connectionId;
    await c.subscribe(['jobs/2']);
    // Published before the new stream is up: the resume delivers it.
    await h.hub.publish({ topic: 'jobs/2', type: 't', data: 2 });
    await waitForState(c, (s) => s.status === 'connected' && s.connectionId !== first);
    await h.hub.publish({ topic: 'jobs/1', type: 't', data: 3 });
    await until(() => r.events.length === 3);
    expect(r.events.map((e) => e.data)).toEqual([1, 2, 3]);
    expect(h.hub.connections()[0]?.topics).toEqual(['jobs/1', 'jobs/2']);
  });

  it('replays what was missed after the WebSocket dropped, with no loss and no duplicate', async () => {
    const h = await hub();
    const c = client(h.url);
    const r = record(c);
    c.connect();
    await connected(c);
    let n = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await h.hub.publish({ topic: 'jobs/1', type: 't', data: n++ });
        await new Promise((res) => setTimeout(res, 1));
      }
    })();
    for (let drops = 0; drops < 3; drops++) {
      await until(() => r.events.length > (drops + 1) * 20);
      const dropped = c.state.connectionId;
      h.hub.disconnect(dropped as string);
      // The client may reconnect before a poll sees it disconnected: wait for the next connection.
      await waitForState(c, (s) => s.status === 'connected' && s.connectionId !== dropped);
    }
    publishing = false;
    await publisher;
    await until(
      () => r.events.length === n,
      10_000,
      () => `${r.events.length} of ${n}`,
    );
    expect(r.events.map((e) => e.data)).toEqual([...Array(n).keys()]);
    expect(c.stats.duplicates).toBe(0);
  });

  it('replaces a WebSocket that went silent, resuming', async () => {
    const h = await hub({ heartbeatMs: 100 });
    const proxy = await FreezingProxy.start(h.url);
    cleanups.push(() => proxy.close());
    const c = client(proxy.url, { heartbeatTimeoutMs: 500 });
    const r = record(c);
    c.connect();
    await connected(c);
    proxy.freezeCurrent();
    await h.hub.publish({ topic: 'jobs/1', type: 't', data: 'while frozen' });
    await until(() => r.events.length === 1, 10_000);
    // The hub drops the silent peer or the client's watchdog does, whichever sees it first.
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
  });
});

/** A hub behind a server that does not pass WebSocket upgrades on (as a proxy that blocks them). */
async function hubWithoutUpgrades(): Promise<{ hub: Hub; url: string; upgrades: () => number }> {
  const h = createHub({ store: memoryStore() });
  let upgrades = 0;
  const server: Server = createServer((req, res) => {
    if (req.headers.upgrade) upgrades++;
    h.handleNode(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    await h.close();
    server.closeAllConnections();
    await new Promise((res) => server.close(res));
  });
  return {
    hub: h,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades: () => upgrades,
  };
}

function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe("transport: 'auto'", () => {
  it('falls back to SSE when the upgrade is refused, and remembers it', async () => {
    const h = await hubWithoutUpgrades();
    h.hub.onCommand('job.cancel', () => 'cancelled');
    const storage = memoryStorage();
    const c = client(h.url, { transport: 'auto' }, { storage });
    const r = record(c);
    c.connect();
    await connected(c);
    expect(c.transport).toBe('sse');
    expect(h.upgrades()).toBe(1);
    expect(h.hub.connections().map((i) => i.transport)).toEqual(['sse']);
    expect([...storage.data.keys()]).toEqual([expect.stringMatching(/^tidings-transport:ws:\/\//)]);
    await h.hub.publish({ topic: 'jobs/1', type: 't', data: 1 });
    await until(() => r.events.length === 1);
    expect(await c.command('job.cancel')).toBe('cancelled');
    // Only one failed upgrade: reconnections stay on SSE.
    const before = c.state.connectionId;
    c.reconnect();
    await waitForState(c, (s) => s.status === 'connected' && s.connectionId !== before);
    expect(h.upgrades()).toBe(1);
    c.disconnect();
    // A new client with the same storage does not try WebSocket at all.
    const again = client(h.url, { transport: 'auto' }, { storage });
    again.connect();
    await connected(again);
    expect(again.transport).toBe('sse');
    expect(h.upgrades()).toBe(1);
  });

  it('uses WebSocket where the upgrade works', async () => {
    const h = await hub();
    const storage = memoryStorage();
    const c = client(h.url, { transport: 'auto' }, { storage });
    c.connect();
    await connected(c);
    expect(c.transport).toBe('websocket');
    expect(storage.data.size).toBe(0);
  });

  it('does not fall back while the hub is down altogether: only when SSE works where WebSocket fails', async () => {
    const port = await closedPort();
    const storage = memoryStorage();
    let sockets = 0;
    const Counting = class extends (WebSocket as unknown as new (
      u: string,
      p?: string | string[],
    ) => object) {
      constructor(u: string, p?: string | string[]) {
        super(u, p);
        sockets++;
      }
    } as unknown as WebSocketConstructor;
    const c = client(`http://127.0.0.1:${port}`, { transport: 'auto' }, { storage, WebSocket: Counting });
    c.connect();
    await waitForState(c, (s) => s.status === 'reconnecting' && s.attempt >= 3);
    // Each round tried WebSocket, then SSE at once; neither worked, so nothing was decided.
    expect(sockets).toBeGreaterThanOrEqual(3);
    expect(c.transport).toBe('websocket');
    expect(storage.data.size).toBe(0);
  });
});
