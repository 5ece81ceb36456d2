import { createClient } from '@tidings/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedPort,
  Flag,
  ManualTimers,
  openStream,
  quietEnv,
  rawSseServer,
  record,
  until,
  waitForState,
} from './helpers.js';

// Real sockets and fetch; only the timers are manual, so the backoff decisions can be read off.

const WATCHDOG = 45_000;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** The retry delays requested so far (every timer that is not the watchdog or the stable timer). */
const retries = (t: ManualTimers) => t.requested.filter((ms) => ms !== WATCHDOG && ms !== 5000);

describe('reconnection backoff', () => {
  it('grows exponentially with full jitter, then gives up after maxAttempts', async () => {
    const port = await closedPort();
    const timers = new ManualTimers();
    const client = createClient({
      url: `http://127.0.0.1:${port}/events`,
      topics: ['t'],
      // earlyMaxMs = maxMs: the plain exponential schedule, without the early-outage cap.
      backoff: { initialMs: 1000, multiplier: 2, maxMs: 5000, earlyMaxMs: 5000, maxAttempts: 5 },
      environment: quietEnv({ timers, random: () => 0.5 }),
    });
    client.connect();
    for (let n = 1; n <= 5; n++) {
      await waitForState(client, (s) => s.status === 'reconnecting' && s.attempt === n);
      const s = client.state;
      expect(s.nextRetryAt).toBe(timers.now() + (retries(timers)[n - 1] ?? Number.NaN));
      expect(s.lastError?.message).toMatch(
        new RegExp(`^Lost the connection to http://127.0.0.1:${port}: fetch failed \\(ECONNREFUSED\\)\\.$`),
      );
      timers.fire((ms) => ms !== WATCHDOG);
    }
    await waitForState(client, (s) => s.status === 'error');
    // Ceilings 1000, 2000, 4000, 5000, 5000; the jitter draw 0.5 halves each.
    expect(retries(timers)).toEqual([500, 1000, 2000, 2500, 2500]);
    expect(client.state.lastError?.message).toMatch(
      /^Stopped after 6 failed attempts in a row \(backoff.maxAttempts is 5\)\. Lost the connection .* Call connect\(\) to try again\.$/,
    );
    expect(timers.pending.size).toBe(0);
  });

  it("honours the hub's retry: and resets the count after a stable connection", async () => {
    // Three refusals, then a stream that stays up, then ends.
    const server = await rawSseServer((req) => {
      if (req.n <= 3) {
        req.res.writeHead(500).end();
        return;
      }
      openStream(req, 800);
      if (req.n === 4) (server as { end?: () => void }).end = () => req.res.end();
    });
    cleanups.push(() => server.close());
    const timers = new ManualTimers();
    const client = createClient({
      url: `${server.url}/events`,
      topics: ['t'],
      backoff: { initialMs: 100, resetAfterMs: 5000 },
      environment: quietEnv({ timers, random: () => 0.25 }),
    });
    cleanups.push(() => client.disconnect());
    client.connect();
    for (let n = 1; n <= 3; n++) {
      await waitForState(client, (s) => s.status === 'reconnecting' && s.attempt === n);
      timers.fire((ms) => ms !== WATCHDOG);
    }
    await waitForState(client, (s) => s.status === 'connected');
    expect(client.state.attempt).toBe(3);
    timers.fire((ms) => ms === 5000);
    expect(client.state.attempt).toBe(0);
    (server as { end?: () => void }).end?.();
    await waitForState(client, (s) => s.status === 'reconnecting');
    expect(client.state.attempt).toBe(1);
    // 100 × 2^(n-1) × 0.25 for the refusals; then base 800 from the hub's retry:, first attempt again.
    expect(retries(timers)).toEqual([25, 50, 100, 200]);
  });

  it('retries at once when the host comes back online or the page becomes visible', async () => {
    const port = await closedPort();
    const timers = new ManualTimers();
    const online = new Flag(true);
    const visible = new Flag(true);
    const client = createClient({
      url: `http://127.0.0.1:${port}/events`,
      topics: ['t'],
      backoff: { initialMs: 60_000, maxMs: 120_000, earlyMaxMs: 120_000 },
      environment: quietEnv({
        timers,
        random: () => 0.5,
        online: { isOnline: online.isOnline, subscribe: online.subscribe },
        visibility: { isVisible: visible.isVisible, subscribe: visible.subscribe },
      }),
    });
    client.connect();
    await waitForState(client, (s) => s.status === 'reconnecting' && s.attempt === 1);
    online.set(false);
    online.set(true);
    await waitForState(client, (s) => s.attempt === 2);
    expect(retries(timers)).toEqual([30_000, 60_000]);
    visible.set(false);
    visible.set(true);
    await waitForState(client, (s) => s.attempt === 3);
    client.disconnect();
    expect(online.subscribers).toBe(0);
    expect(visible.subscribers).toBe(0);
    expect(timers.pending.size).toBe(0);
    // Nothing is listening any more: flipping the flags does nothing.
    online.set(false);
    online.set(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.state.status).toBe('disconnected');
  });

  it('comes back from giving up when the host comes back online', async () => {
    const port = await closedPort();
    const timers = new ManualTimers();
    const online = new Flag(true);
    const client = createClient({
      url: `http://127.0.0.1:${port}/events`,
      topics: ['t'],
      backoff: { maxAttempts: 0 },
      environment: quietEnv({ timers, online: { isOnline: online.isOnline, subscribe: online.subscribe } }),
    });
    cleanups.push(() => client.disconnect());
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'error');
    expect(client.state.lastError?.message).toMatch(
      /^Stopped after 1 failed attempt in a row \(backoff.maxAttempts is 0\)/,
    );
    online.set(true);
    await until(() => r.statuses.length === 4);
    expect(r.statuses).toEqual(['connecting', 'error', 'connecting', 'error']);
  });
});
