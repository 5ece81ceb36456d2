import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { post, StreamReader } from '../../server/test/helpers.js';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../../server/test/services.js';
import { run, type ServeProcess, serve } from './spawn-cli.js';

/**
 * `tidings serve --workers N`: real processes sharing one port. Connections land on the workers
 * by node:cluster's round robin, so a test opens streams until it holds one on every worker
 * (connection ids start with the worker's node id).
 */
const redisUrl = await needRedis(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'tidings-workers-'));
const procs: ServeProcess[] = [];
afterAll(() => {
  for (const p of procs) p.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Opens streams on `topics` until `workers` distinct workers hold at least one. */
async function streamsOnEveryWorker(url: string, topics: string[], workers: number): Promise<StreamReader[]> {
  const readers: StreamReader[] = [];
  const nodes = new Set<string>();
  for (let i = 0; i < 40 && nodes.size < workers; i++) {
    const r = await StreamReader.open(url, topics);
    await r.waitFor((x) => x.of('connected').length === 1, 15_000);
    const { connectionId } = JSON.parse(r.of('connected')[0]?.data ?? '{}') as { connectionId: string };
    nodes.add(connectionId.replace(/-[^-]+$/, ''));
    readers.push(r);
  }
  expect(nodes.size).toBe(workers);
  return readers;
}

/** Publishes `n` events to `topic`, some one by one and some in batches, several requests at once. */
async function publishMany(url: string, topic: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const single = Array.from({ length: 5 }, (_, k) =>
      post(url, { topic, type: 'n', data: { i: i + k } }).then((r) => {
        expect(r.status).toBe(201);
        return [r.body.id as string];
      }),
    );
    const batch = post(
      url,
      Array.from({ length: 5 }, (_, k) => ({ topic, type: 'n', data: { i: i + 5 + k } })),
    ).then((r) => {
      expect(r.status).toBe(201);
      return r.body.ids as string[];
    });
    for (const got of await Promise.all([...single, batch])) ids.push(...got);
  }
  return ids;
}

/** Returns every event id published, in position order. */
async function checkFanOutAndResume(url: string, workers: number): Promise<string[]> {
  const readers = await streamsOnEveryWorker(url, ['w/jobs'], workers);
  const ids = await publishMany(url, 'w/jobs', 60);
  for (const r of readers) await r.waitForEvents(ids.length, 20_000);
  // Every subscriber, on every worker, saw the same events in the same order, none twice.
  const first = readers[0]?.events.map((e) => e.id) ?? [];
  expect(new Set(first).size).toBe(ids.length);
  expect([...first].sort()).toEqual([...ids].sort());
  for (const r of readers) expect(r.events.map((e) => e.id)).toEqual(first);
  // Resuming from the middle, on whichever worker the connection lands, gives exactly the rest.
  const from = first[24] as string;
  const resumed = await StreamReader.open(url, ['w/jobs'], { lastEventId: from });
  await resumed.waitForEvents(first.length - 25, 20_000);
  const more = await publishMany(url, 'w/jobs', 10);
  await resumed.waitForEvents(first.length - 25 + more.length, 20_000);
  expect(resumed.events.map((e) => e.id).slice(0, first.length - 25)).toEqual(first.slice(25));
  expect(resumed.events.length).toBe(first.length - 25 + more.length);
  for (const r of [...readers, resumed]) await r.close();
  return [...first, ...resumed.events.slice(first.length - 25).map((e) => e.id)];
}

describe('tidings serve --workers', () => {
  it('refuses a number of workers it cannot run, saying what it takes', async () => {
    for (const bad of ['0', '-1', 'two', '65', '1.5']) {
      const r = await run(['serve', '--memory', `--workers=${bad}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--workers takes a number of processes from 1 to 64 .*; got "/);
    }
  });

  it('shares the port between workers; the primary sequences SQLite history, every worker fans out in order and resumes', async () => {
    const hub = await serve([
      '--workers',
      '2',
      '--data',
      join(dir, 'sqlite'),
      '--node-id',
      'wk',
      '--retry',
      '100ms',
    ]);
    procs.push(hub);
    const all = await checkFanOutAndResume(hub.url, 2);
    // A graceful stop ends every process.
    hub.proc.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    // The history outlives the processes: a single-process hub on the same directory has it.
    const again = await serve(['--data', join(dir, 'sqlite')]);
    procs.push(again);
    const r = await StreamReader.open(again.url, ['w/jobs'], { lastEventId: all[0] as string });
    await r.waitForEvents(all.length - 1, 15_000);
    expect(r.events.map((e) => e.id)).toEqual(all.slice(1));
    await r.close();
    again.proc.kill('SIGTERM');
    await again.exited;
  }, 120_000);

  describe.skipIf(!redisUrl)('with --redis', () => {
    it('runs every worker as a Redis node: publish on any, every subscriber gets all in order', async () => {
      const prefix = uniquePrefix();
      const hub = await serve([
        '--workers',
        '2',
        '--redis',
        redisUrl as string,
        '--redis-prefix',
        prefix,
        '--node-id',
        'rw',
      ]);
      procs.push(hub);
      try {
        await checkFanOutAndResume(hub.url, 2);
      } finally {
        hub.proc.kill('SIGTERM');
        await hub.exited;
        await deleteRedisKeys(redisUrl as string, prefix);
      }
    }, 120_000);
  });
});
