import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@tidings/client';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServeProcess, serve } from '../../cli/test/spawn-cli.js';
import { quietEnv, record, until, waitForState } from './helpers.js';

// Spawns the built CLI: `npm test` builds first; alone, run `npx tsc -b` before.

const dir = mkdtempSync(join(tmpdir(), 'tidings-client-restart-'));
const procs: ServeProcess[] = [];
afterAll(() => {
  for (const p of procs) p.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes `e-<i>` until the hub acknowledges it: ids make retries idempotent, so each exists once. */
async function publishUntilStored(base: () => string, i: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${base()}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: `e-${i}`, topic: 'leases', type: 'lease-added', data: { i } }),
      });
      if (res.status === 201 || res.status === 200) return;
    } catch {
      // The hub is down; keep trying.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a client across a hub crash (kill -9) and restart', () => {
  it('reconnects, resumes, and receives every event exactly once, in order', async () => {
    const first = await serve(['--data', dir, '--retry', '200ms', '--heartbeat', '1s']);
    procs.push(first);
    let base = first.url;
    const port = new URL(first.url).port;
    const client = createClient({
      url: `${first.url}/events`,
      topics: ['leases'],
      backoff: { initialMs: 100, maxMs: 1000 },
      environment: quietEnv(),
    });
    const r = record(client);
    client.connect();
    await waitForState(client, (s) => s.status === 'connected');

    const total = 120;
    let next = 0;
    const publisher = (async () => {
      for (; next < total; next++) await publishUntilStored(() => base, next);
    })();

    await until(() => r.events.length >= 40, 15_000);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await waitForState(client, (s) => s.status === 'reconnecting');
    const seenBeforeRestart = r.events.length;

    const second = await serve(['--data', dir, '--port', port, '--retry', '200ms', '--heartbeat', '1s']);
    procs.push(second);
    base = second.url;
    await publisher;
    await until(
      () => r.events.length >= total,
      20_000,
      () => `received ${r.events.length} of ${total}`,
    );
    // A moment for any duplicate to show up before judging.
    await new Promise((res) => setTimeout(res, 300));

    expect(r.ids()).toEqual(Array.from({ length: total }, (_, i) => `e-${i}`));
    expect(seenBeforeRestart).toBeLessThan(total);
    expect(r.statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.state.lastError?.message).toMatch(/Lost the connection|closed the stream/);
    expect(client.stats.duplicates).toBe(0);
    client.disconnect();
    second.proc.kill('SIGTERM');
    await second.exited;
  }, 60_000);
});
