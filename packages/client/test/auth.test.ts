import { createClient, type TokenReason } from '@tidings/client';
import { encodeSseFrame } from '@tidings/protocol';
import { type Authorizer, type Hub, HubError } from '@tidings/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualTimers, quietEnv, type RunningHub, record, startHub, until, waitForState } from './helpers.js';

let hub: RunningHub | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await hub?.close();
  hub = undefined;
});

interface Seen {
  authorization: string | undefined;
  lastEventId: string | undefined;
  accept: string | undefined;
  app: string | undefined;
}

/** Accepts `Bearer <token>` for tokens in `valid`; refuses the topic "secret" with 403. */
function tokenAuthorizer(valid: Set<string>, seen: Seen[]): Authorizer {
  return {
    async authorizeSubscribe(req, patterns) {
      seen.push({
        authorization: req.header('authorization'),
        lastEventId: req.header('last-event-id'),
        accept: req.header('accept'),
        app: req.header('x-app'),
      });
      const token = req.header('authorization')?.replace(/^Bearer /, '');
      if (!token || !valid.has(token)) {
        throw new HubError(401, 'unauthorized', 'The token is missing or has expired; sign in again.');
      }
      if (patterns.includes('secret')) {
        throw new HubError(403, 'forbidden', 'You may not read the topic "secret".');
      }
      return { principal: { user: token } };
    },
    async authorizePublish() {
      return {};
    },
  };
}

/** Writes a hub event on an open stream, then closes it, as issue 6's hub does. */
function sendAndClose(
  h: Hub,
  connectionId: string,
  event: string,
  data: unknown,
  reason: 'token-expired' | 'force-logout',
) {
  // The hub's registry of open connections (private): the frame goes out before the close.
  const registry = (
    h as unknown as { registry: { get(id: string): { write(b: Uint8Array): void } | undefined } }
  ).registry;
  const conn = registry.get(connectionId);
  if (!conn) throw new Error(`no connection ${connectionId}`);
  conn.write(new TextEncoder().encode(encodeSseFrame({ event, data: JSON.stringify(data) })));
  h.disconnect(connectionId, reason);
}

describe('authentication', () => {
  it('on 401 fetches a fresh token once and retries at once', async () => {
    const seen: Seen[] = [];
    hub = await startHub({ authorizer: tokenAuthorizer(new Set(['fresh']), seen) });
    const reasons: TokenReason[] = [];
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: ({ reason }) => {
        reasons.push(reason);
        return reason === 'unauthorized' ? 'fresh' : 'stale';
      },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    expect(reasons).toEqual(['connect', 'unauthorized']);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(r.statuses).toEqual(['connecting', 'reconnecting', 'connected']);
    expect(client.state.lastError).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(client.state.attempt).toBe(0);
  });

  it('stops with a clear error when the fresh token is refused too, and retries nothing', async () => {
    const seen: Seen[] = [];
    hub = await startHub({ authorizer: tokenAuthorizer(new Set(), seen) });
    const timers = new ManualTimers();
    const reasons: TokenReason[] = [];
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: async ({ reason }) => {
        reasons.push(reason);
        return 'never-valid';
      },
      environment: quietEnv({ timers }),
    });
    client.connect();
    await waitForState(client, (s) => s.status === 'error');
    expect(client.state.lastError?.message).toBe(
      'The hub rejected the token (401) even after a fresh one was fetched: The token is missing or has expired; sign in again. Sign the user in again, then call connect().',
    );
    expect(client.state.lastError).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(reasons).toEqual(['connect', 'unauthorized']);
    expect(seen).toHaveLength(2);
    expect(timers.pending.size).toBe(0);
  });

  it('stops at once on 401 when the token is a fixed string', async () => {
    hub = await startHub({ authorizer: tokenAuthorizer(new Set(), []) });
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: 'x',
      environment: quietEnv(),
    });
    client.connect();
    await waitForState(client, (s) => s.status === 'error');
    expect(client.state.lastError?.message).toMatch(
      /A fixed token string cannot be refreshed; pass a token function/,
    );
  });

  it("stops on 403 with the hub's reason, and connect() tries again", async () => {
    const seen: Seen[] = [];
    hub = await startHub({ authorizer: tokenAuthorizer(new Set(['ok']), seen) });
    const timers = new ManualTimers();
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['secret'],
      token: () => 'ok',
      environment: quietEnv({ timers }),
    });
    client.connect();
    await waitForState(client, (s) => s.status === 'error');
    expect(client.state.lastError).toMatchObject({
      status: 403,
      code: 'forbidden',
      message:
        'The hub refused this subscription (403): You may not read the topic "secret". The user may not read these topics; change the topics or the user\'s permissions, then call connect().',
    });
    expect(seen).toHaveLength(1);
    expect(timers.pending.size).toBe(0);
    client.connect();
    await until(() => seen.length === 2);
    await waitForState(client, (s) => s.status === 'error' && s.lastError?.at !== undefined);
  });

  it('never lets user headers drop or forge Last-Event-ID, and passes the others', async () => {
    const seen: Seen[] = [];
    hub = await startHub({ authorizer: tokenAuthorizer(new Set(['ok']), seen) });
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: 'ok',
      headers: () => ({
        'Last-Event-ID': 'forged',
        Accept: 'text/html',
        Authorization: 'Basic x',
        'x-app': 'shop',
      }),
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    const ev = await hub.hub.publish({ topic: 'leases', type: 't', data: 1 });
    await waitForState(client, (s) => s.lastEventId === ev.id);
    client.reconnect();
    await until(() => seen.length === 2);
    expect(seen).toEqual([
      { authorization: 'Bearer ok', lastEventId: undefined, accept: 'text/event-stream', app: 'shop' },
      { authorization: 'Bearer ok', lastEventId: ev.id, accept: 'text/event-stream', app: 'shop' },
    ]);
  });

  it('on token-expired fetches a fresh token and reconnects at once, losing nothing', async () => {
    const seen: Seen[] = [];
    const valid = new Set(['t1']);
    hub = await startHub({ authorizer: tokenAuthorizer(valid, seen) });
    const reasons: TokenReason[] = [];
    let current = 't1';
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: ({ reason }) => {
        reasons.push(reason);
        if (reason === 'expired') {
          current = 't2';
          valid.add('t2');
        }
        return current;
      },
      environment: quietEnv(),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected' && s.connectionId !== null);
    const a = await hub.hub.publish({ topic: 'leases', type: 't', data: 1 });
    await until(() => r.events.length === 1);
    valid.delete('t1');
    sendAndClose(
      hub.hub,
      client.state.connectionId as string,
      'token-expired',
      { expiredAt: new Date().toISOString() },
      'token-expired',
    );
    const b = await hub.hub.publish({ topic: 'leases', type: 't', data: 2 });
    await until(() => r.events.length === 2, 10_000);
    expect(r.ids()).toEqual([a.id, b.id]);
    expect(reasons).toEqual(['connect', 'expired']);
    expect(seen.map((s) => [s.authorization, s.lastEventId])).toEqual([
      ['Bearer t1', undefined],
      ['Bearer t2', a.id],
    ]);
    // At once: no backoff was scheduled, and it did not count as a failure.
    expect(r.states.every((s) => s.nextRetryAt === null)).toBe(true);
    expect(r.statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.state.attempt).toBe(0);
  });

  it('on force-logout tells onForceLogout listeners and stays disconnected until connect()', async () => {
    hub = await startHub({ authorizer: tokenAuthorizer(new Set(['ok']), []) });
    const timers = new ManualTimers();
    const client = createClient({
      url: `${hub.url}/events`,
      topics: ['leases'],
      token: () => 'ok',
      environment: quietEnv({ timers }),
    });
    cleanups.push(() => client.disconnect());
    const logouts: unknown[] = [];
    const statusAtLogout: string[] = [];
    client.onForceLogout((p) => {
      logouts.push(p);
      statusAtLogout.push(client.state.status);
    });
    client.connect();
    await waitForState(client, (s) => s.status === 'connected' && s.connectionId !== null);
    sendAndClose(
      hub.hub,
      client.state.connectionId as string,
      'force-logout',
      { reason: 'Your account was disabled.' },
      'force-logout',
    );
    await until(() => logouts.length === 1);
    expect(logouts).toEqual([{ reason: 'Your account was disabled.' }]);
    expect(statusAtLogout).toEqual(['disconnected']);
    expect(client.state).toMatchObject({
      status: 'disconnected',
      reason: 'force-logout',
      logoutReason: 'Your account was disabled.',
    });
    expect(timers.pending.size).toBe(0);
    await until(() => hub?.hub.connections().length === 0);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');
    expect(client.state.logoutReason).toBeNull();
  });
});
