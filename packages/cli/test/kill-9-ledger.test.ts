import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamReader } from '../../server/test/helpers.js';
import { type ServeProcess, serve } from './spawn-cli.js';

/**
 * Chaos: `kill -9` of `tidings serve` (SQLite, the default store) while several publishers
 * publish, then a restart on the same data directory. Every acknowledged (2xx) event must be in
 * history, resumable with its id, in the order it was acknowledged in, checked against a ledger.
 */

const dirs: string[] = [];
const procs: ServeProcess[] = [];
afterAll(() => {
  for (const p of procs) p.proc.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tidings-kill9-'));
  dirs.push(d);
  return d;
}

async function start(args: string[]): Promise<ServeProcess> {
  const p = await serve(args);
  procs.push(p);
  return p;
}

/** One acknowledged event. */
interface Acked {
  id: string;
  publisher: number;
}

/**
 * Publishes in a loop until `stop()` says so or the hub goes away: single events with generated
 * ids, single events with the publisher's own ids, and batches of three, in turn. Appends what
 * the hub acknowledged to `ledger`, in acknowledgement order.
 */
async function publisher(url: string, p: number, ledger: Acked[], stop: () => boolean, round: number) {
  for (let i = 0; !stop(); i++) {
    const kind = i % 3;
    const one = (n: number) => ({ topic: `chaos/p${p}`, type: 'tick', data: { p, round, i, n } });
    const body =
      kind === 2
        ? [one(0), one(1), one(2)]
        : { ...one(0), ...(kind === 1 && { id: `p${p}-r${round}-${i}` }) };
    let res: Response;
    try {
      res = await fetch(`${url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch {
      return; // killed: an unanswered publish is not acknowledged
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`publish answered ${res.status}`);
    const answer = (await res.json()) as { id?: string; ids?: string[] };
    for (const id of answer.ids ?? [answer.id as string]) ledger.push({ id, publisher: p });
  }
}

/** Resumes `**` after `lastEventId` and reads until `marker` arrives; returns the event ids. */
async function readThrough(
  url: string,
  lastEventId: string,
  marker: string,
): Promise<{ ids: string[]; resets: number }> {
  const r = await StreamReader.open(url, ['**'], { lastEventId });
  try {
    expect(r.response.status).toBe(200);
    await r.waitFor((x) => x.events.some((e) => e.id === marker) || x.of('reset').length > 0, 20_000);
    return { ids: r.events.map((e) => e.id), resets: r.of('reset').length };
  } finally {
    await r.close();
  }
}

async function publishMarker(url: string): Promise<string> {
  const res = await fetch(`${url}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'chaos/marker', type: 'marker', data: null }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The id a fresh stream is given: resuming from it replays everything published after it. */
async function startId(url: string): Promise<string> {
  const r = await StreamReader.open(url, ['**']);
  try {
    await r.waitFor((x) => x.of('connected').length > 0);
    return JSON.parse(r.of('connected')[0]?.data as string).lastEventId as string;
  } finally {
    await r.close();
  }
}

describe('chaos: kill -9 of tidings serve while publishers publish (SQLite)', () => {
  it('three kills and restarts: every acknowledged event is in history, in order, and resumable by its id', async () => {
    const dir = tempDir();
    const ledger: Acked[] = [];
    let hub = await start(['--data', dir]);
    const origin = await startId(hub.url);
    for (let round = 0; round < 3; round++) {
      let killed = false;
      const before = ledger.length;
      const writers = Array.from({ length: 4 }, (_, p) => publisher(hub.url, p, ledger, () => killed, round));
      while (ledger.length < before + 300) await new Promise((r) => setTimeout(r, 5));
      hub.proc.kill('SIGKILL');
      killed = true;
      expect(await hub.exited).toBe('SIGKILL');
      await Promise.all(writers);
      hub = await start(['--data', dir]);
    }

    const marker = await publishMarker(hub.url);
    const all = await readThrough(hub.url, origin, marker);
    expect(all.resets).toBe(0);
    expect(new Set(all.ids).size).toBe(all.ids.length);
    // Every acknowledged event is there, and each publisher's in the order it was acknowledged.
    const acked = new Set(ledger.map((a) => a.id));
    for (let p = 0; p < 4; p++) {
      const mine = ledger.filter((a) => a.publisher === p).map((a) => a.id);
      const mineSet = new Set(mine);
      expect(all.ids.filter((id) => mineSet.has(id))).toEqual(mine);
    }
    expect(all.ids.filter((id) => acked.has(id))).toHaveLength(ledger.length);

    // Resumable by its id: from any acknowledged event, exactly what followed it.
    const samples = [0, ledger.length - 1];
    for (let k = 0; k < 25; k++) samples.push(Math.floor((k / 25) * ledger.length));
    for (const k of samples) {
      const id = (ledger[k] as Acked).id;
      const from = await readThrough(hub.url, id, marker);
      expect(from.resets).toBe(0);
      expect(from.ids).toEqual(all.ids.slice(all.ids.indexOf(id) + 1));
    }
    hub.proc.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  }, 120_000);

  it('kills during age sweeps of one-shot topics: a resume is complete or told of its loss, never silently short', async () => {
    const dir = tempDir();
    const ledger: Acked[] = [];
    const args = ['--data', dir, '--retention-age', '2s'];
    let hub = await start(args);
    const origin = await startId(hub.url);
    const resumePoints: string[] = [origin];
    for (let round = 0; round < 3; round++) {
      let killed = false;
      const before = ledger.length;
      // One-shot topics: every event on a topic of its own, so each sweep empties and prunes topics.
      const writers = Array.from({ length: 3 }, async (_, p) => {
        for (let i = 0; !killed; i++) {
          try {
            const res = await fetch(`${hub.url}/publish`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ topic: `once/r${round}/p${p}/${i}`, type: 'tick', data: i }),
            });
            if (res.status !== 201) throw new Error(`publish answered ${res.status}`);
            ledger.push({ id: ((await res.json()) as { id: string }).id, publisher: p });
          } catch {
            return;
          }
        }
      });
      while (ledger.length < before + 200) await new Promise((r) => setTimeout(r, 5));
      resumePoints.push((ledger[ledger.length - 1] as Acked).id);
      // Past the 2 s age and a 1 s sweep: the kill lands while topics are being pruned.
      await new Promise((r) => setTimeout(r, 1500 + round * 700));
      hub.proc.kill('SIGKILL');
      killed = true;
      expect(await hub.exited).toBe('SIGKILL');
      await Promise.all(writers);
      hub = await start(args);
    }
    const marker = await publishMarker(hub.url);
    for (const id of resumePoints) {
      const from = await readThrough(hub.url, id, marker);
      if (from.resets > 0) continue; // told of the loss: the client refetches
      // Not told: then nothing acknowledged after the resume point may be missing.
      const after = ledger.slice(ledger.findIndex((a) => a.id === id) + 1).map((a) => a.id);
      const got = new Set(from.ids);
      for (const a of after) expect(got.has(a), `event ${a} is missing without a reset`).toBe(true);
    }
    // The first resume point is older than the age limit: its events expired, and it is told so.
    expect((await readThrough(hub.url, origin, marker)).resets).toBe(1);
    hub.proc.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  }, 120_000);
});
