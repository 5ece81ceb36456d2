import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreSuite } from '../testing/store-suite.js';
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
});
