import { createClient, type TidingsClient } from '@tidings/client';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServeProcess, serve } from '../../cli/test/spawn-cli.js';
import { quietEnv, waitForState } from './helpers.js';

// Spawns the built CLI: `npm test` builds first; alone, run `npx tsc -b` before.
// Real sockets and real time: the default backoff, against a hub that is away for 20 s.

const CLIENTS = 20;
const OUTAGE_MS = 20_000;
/** The default backoff's early cap is 3 s; the rest is slack for a loaded two-core machine. */
const BACK_WITHIN_MS = 6_000;

const procs: ServeProcess[] = [];
const clients: TidingsClient[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
  for (const p of procs) p.proc.kill('SIGKILL');
});

describe('clients at default settings across a 20 s hub restart', () => {
  it('are back within seconds of the hub returning, spread out rather than all at once', async () => {
    // The hub's own defaults too (retry: 3 s), apart from an in-memory history.
    const first = await serve(['--memory']);
    procs.push(first);
    const port = new URL(first.url).port;
    const backAt = new Map<number, number>();
    let restartedAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < CLIENTS; i++) {
      const client = createClient({
        url: `${first.url}/events`,
        topics: ['leases'],
        environment: quietEnv(),
      });
      clients.push(client);
      client.onState((s) => {
        if (s.status === 'connected' && performance.now() > restartedAt && !backAt.has(i)) {
          backAt.set(i, performance.now() - restartedAt);
        }
      });
      client.connect();
    }
    for (const c of clients) await waitForState(c, (s) => s.status === 'connected');

    first.proc.kill('SIGTERM');
    await first.exited;
    for (const c of clients) await waitForState(c, (s) => s.status === 'reconnecting');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    // Every client has failed several times by now: the old schedule would be at its 16–30 s steps.
    expect(Math.min(...clients.map((c) => c.state.attempt))).toBeGreaterThanOrEqual(3);

    const second = await serve(['--memory', '--port', port]);
    procs.push(second);
    restartedAt = performance.now();
    for (const c of clients) await waitForState(c, (s) => s.status === 'connected', BACK_WITHIN_MS + 5_000);

    const times = [...backAt.values()].sort((a, b) => a - b);
    console.info(
      `reconnected after the hub's return (ms): min ${Math.round(times[0] ?? 0)}, median ${Math.round(
        times[times.length >> 1] ?? 0,
      )}, max ${Math.round(times[times.length - 1] ?? 0)}`,
    );
    expect(times).toHaveLength(CLIENTS);
    expect(times[times.length - 1]).toBeLessThan(BACK_WITHIN_MS);
    // No stampede: no 100 ms window holds more than a quarter of the clients.
    const crowded = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 100).length));
    expect(crowded).toBeLessThanOrEqual(CLIENTS / 4);
    expect((times[times.length - 1] ?? 0) - (times[0] ?? 0)).toBeGreaterThan(500);
  }, 90_000);
});
