import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreSuite } from '../../testing/store-suite.js';
import type { ReadCache } from '../read-cache.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreSuite({
  name: 'sqlite',
  create: (o) => new SqliteStore({ path: join(dir, `s${++n}.db`), ...o }),
  async reopen(store) {
    const path = (store as SqliteStore).path;
    await store.close();
    return new SqliteStore({ path });
  },
});

describe('SqliteStore', () => {
  it('creates its directory and explains what to do when it cannot open the file', () => {
    const s = new SqliteStore({ path: join(dir, 'nested', 'deeper', 'h.db') });
    expect(s.kind).toBe('sqlite');
    return s.close().then(() => {
      expect(() => new SqliteStore({ path: '/etc/hostname/not-a-dir/h.db' })).toThrow(
        /Cannot open the SQLite history at .*not a directory.*--memory/,
      );
    });
  });

  it('answers a repeated read once, and afresh after a write here or by another connection to the file', async () => {
    const path = join(dir, 'memo.db');
    const a = new SqliteStore({ path });
    const filter = { topics: ['memo'], patterns: [] };
    const ev = (i: number) => ({ topic: 'memo', type: 't', ts: Date.now(), dataJson: String(i) });
    await a.append([ev(1), ev(2)]);
    const first = await a.readAfter('0', filter, 100);
    // The same answer object: a storm of resumes shares its events and their encoded frames.
    expect(await a.readAfter('0', filter, 100)).toBe(first);
    expect(first.events.map((e) => e.dataJson)).toEqual(['1', '2']);

    await a.append([ev(3)]);
    expect((await a.readAfter('0', filter, 100)).events.map((e) => e.dataJson)).toEqual(['1', '2', '3']);

    // Another process writing the same file (here: another connection) is seen too.
    const b = new SqliteStore({ path });
    await b.append([ev(4)]);
    expect((await a.readAfter('0', filter, 100)).events.map((e) => e.dataJson)).toEqual(['1', '2', '3', '4']);
    await b.close();
    await a.close();
  });

  it('keeps at most readCacheBytes of answers however many distinct ids readers resume from, and still reads a storm once', async () => {
    const budget = 4 * 1024 * 1024;
    const s = new SqliteStore({ path: join(dir, 'bounded.db'), readCacheBytes: budget });
    const cache = (s as unknown as { reads: ReadCache }).reads;
    const data = JSON.stringify('x'.repeat(32 * 1024));
    const stored = [];
    for (let i = 0; i < 200; i++)
      stored.push(...(await s.append([{ topic: 'big', type: 't', ts: Date.now(), dataJson: data }])));
    const filter = { topics: ['big'], patterns: [] };
    for (let i = 0; i < 45; i++) {
      const page = await s.readAfter(stored[i]?.event.pos as string, filter, 100);
      expect(page.events).toHaveLength(100);
      expect(cache.bytes).toBeLessThanOrEqual(budget);
    }
    expect(cache.size).toBeLessThan(45);
    // 300 readers resuming from one id at once get one answer object: one read.
    const from = stored[150]?.event.pos as string;
    const storm = await Promise.all(Array.from({ length: 300 }, () => s.readAfter(from, filter, 100)));
    expect(new Set(storm).size).toBe(1);
    expect(storm[0]?.events).toHaveLength(49);
    await s.close();
  });

  it('scans by position when a pattern covers more topics than an IN list holds', async () => {
    const s = new SqliteStore({ path: join(dir, 'many.db') });
    const events = [];
    for (let i = 0; i < 600; i++)
      events.push({ topic: `m/${i}`, type: 't', ts: Date.now(), dataJson: String(i) });
    await s.append(events);
    const page = await s.readAfter(
      '0',
      { topics: [], patterns: [(await import('@tidings/protocol')).compilePattern('m/*')] },
      1000,
    );
    expect(page.events.map((e) => e.dataJson)).toEqual(events.map((e) => e.dataJson));
    await s.close();
  });

  it('commits the appends of one turn together: each answered in call order, a failing one alone refused, all durable', async () => {
    const path = join(dir, 'group.db');
    const s = new SqliteStore({ path });
    const ts = Date.now();
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 300; i++) {
      const dataJson = JSON.stringify(i);
      // Call 150's second event violates NOT NULL inside the transaction: its first event must
      // roll back with it (a savepoint per call), while the other calls still commit.
      const batch =
        i === 150
          ? [
              { topic: 'g', type: 't', ts, dataJson },
              { topic: 'g', type: 't', ts, dataJson: null as unknown as string },
            ]
          : i % 3 === 0
            ? [
                { topic: 'g', type: 't', ts, dataJson },
                { topic: 'g', type: 't', ts, dataJson },
              ]
            : [{ topic: 'g', type: 't', ts, dataJson, ...(i % 5 === 0 && { id: `own-${i}` }) }];
      calls.push(s.append(batch));
    }
    calls.push(s.append([{ id: 'own-5', topic: 'g', type: 't', ts, dataJson: '"again"' }]));
    const settled = await Promise.allSettled(calls);
    expect(settled.filter((r) => r.status === 'rejected').length).toBe(1);
    expect(settled[150]?.status).toBe('rejected');
    const last = settled[300];
    expect(last?.status === 'fulfilled' && (last.value as Array<{ duplicate: boolean }>)[0]?.duplicate).toBe(
      true,
    );
    const stored = settled
      .slice(0, 300)
      .flatMap((r) =>
        r.status === 'fulfilled' ? (r.value as Array<{ event: { pos: string; dataJson: string } }>) : [],
      )
      .map((r) => r.event);
    const expected = [];
    for (let i = 0; i < 300; i++)
      if (i !== 150) expected.push(...(i % 3 === 0 ? [String(i), String(i)] : [String(i)]));
    expect(stored.map((e) => e.dataJson)).toEqual(expected);
    const positions = stored.map((e) => Number(e.pos));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    await s.close();
    const again = new SqliteStore({ path });
    const page = await again.readAfter('0', { topics: ['g'], patterns: [] }, 10_000);
    expect(page.events.map((e) => e.pos)).toEqual(stored.map((e) => e.pos));
    await again.close();
  });

  it('migrates a file written with global ids: history, positions and supplied ids kept, old generated ids retired', async () => {
    const path = join(dir, 'legacy.db');
    // The layout before ids were scoped: one id across the whole hub, generated ids stored.
    const old = new Database(path);
    old.exec(`
      CREATE TABLE events (pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, topic TEXT NOT NULL,
        type TEXT NOT NULL, ts INTEGER NOT NULL, data TEXT NOT NULL, meta TEXT);
      CREATE INDEX events_topic_pos ON events(topic, pos);
      CREATE TABLE topics (topic TEXT PRIMARY KEY, count INTEGER NOT NULL, evicted_through INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
      CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO kv VALUES ('epoch', 'k3x9qa');
      INSERT INTO events(pos, id, topic, type, ts, data, meta) VALUES
        (1, 'k3x9qa.1', 'a', 't', 1, '1', NULL),
        (2, 'order:7', 'a', 't', 2, '2', '{"to":{"users":["u"]}}'),
        (9, 'k3x9qa.9', 'b', 't', 3, '3', NULL);
      INSERT INTO topics VALUES ('a', 2, 0), ('b', 1, 0);
      UPDATE sqlite_sequence SET seq = 12 WHERE name = 'events';
    `);
    old.close();
    const s = new SqliteStore({ path });
    const all = { topics: ['a', 'b'], patterns: [] };
    expect(await s.head()).toBe('12');
    const page = await s.readAfter('0', all, 10);
    expect(page.events.map((e) => [e.pos, e.dataJson, e.topic])).toEqual([
      ['1', '1', 'a'],
      ['2', '2', 'a'],
      ['9', '3', 'b'],
    ]);
    expect(page.events[1]?.id).toBe('order:7');
    expect(page.events[1]?.meta).toEqual({ to: { users: ['u'] } });
    // Old generated ids get new, opaque ones; resuming from an old one is a reset, once.
    expect(page.events[0]?.id).toMatch(/^~[A-Za-z0-9_-]{22}$/);
    expect(await s.resolve('k3x9qa.1', all)).toEqual({ kind: 'unknown' });
    // A supplied id still resumes, on its topic.
    const point = await s.resolve('order:7', all);
    expect(point.kind === 'matches' && point.events.map((e) => e.pos)).toEqual(['2']);
    // Its publisher is unknown, so nobody's publish is taken for a duplicate of it.
    const [again] = await s.append([{ id: 'order:7', topic: 'a', type: 't', ts: 4, dataJson: '4' }]);
    expect(again?.duplicate).toBe(false);
    expect(again?.event.pos).toBe('13');
    const [retry] = await s.append([{ id: 'order:7', topic: 'a', type: 't', ts: 5, dataJson: '5' }]);
    expect(retry).toMatchObject({ duplicate: true, event: { pos: '13', dataJson: '4' } });
    await s.close();
    // Opening it again changes nothing more.
    const reopened = new SqliteStore({ path });
    expect((await reopened.readAfter('0', all, 10)).events.map((e) => e.pos)).toEqual(['1', '2', '9', '13']);
    await reopened.close();
  });
});
