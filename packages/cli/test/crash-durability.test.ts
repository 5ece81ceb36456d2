import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamReader } from '../../server/test/helpers.js';
import { type ServeProcess, serve } from './spawn-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-crash-'));
const procs: ServeProcess[] = [];
afterAll(() => {
  for (const p of procs) p.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function publish(url: string, i: number): Promise<string> {
  const res = await fetch(`${url}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'leases', type: 'lease-added', data: { i } }),
  });
  if (res.status !== 201) throw new Error(`publish ${i} answered ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

describe('tidings serve on SQLite', () => {
  it('loses no acknowledged event across kill -9 and restart', async () => {
    const first = await serve(['--data', dir]);
    procs.push(first);
    const acked: string[] = [];
    // Publishers keep going right up to the kill; only acknowledged ids must survive.
    let killed = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !killed; i++) {
        try {
          acked.push(await publish(first.url, w * 100_000 + i));
        } catch {
          return;
        }
      }
    });
    while (acked.length < 400) await new Promise((r) => setTimeout(r, 5));
    first.proc.kill('SIGKILL');
    killed = true;
    expect(await first.exited).toBe('SIGKILL');
    await Promise.all(writers);

    const second = await serve(['--data', dir]);
    procs.push(second);
    const reader = await StreamReader.open(second.url, ['leases'], { lastEventId: acked[0] });
    const later = await publish(second.url, -1);
    await reader.waitFor((r) => r.events.some((e) => e.id === later), 10_000);
    const got = reader.events.map((e) => e.id);
    expect(new Set(got).size).toBe(got.length);
    for (const id of acked.slice(1)) expect(got).toContain(id);
    expect(reader.of('reset')).toEqual([]);
    await reader.close();

    // SIGTERM: streams close so clients reconnect, and the process exits 0.
    const tail = await StreamReader.open(second.url, ['leases']);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await tail.waitFor((r) => r.ended);
  }, 60_000);
});
