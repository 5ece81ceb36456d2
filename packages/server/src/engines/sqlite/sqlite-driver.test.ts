import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { runSqliteDriverSuite } from '../../testing/sqlite-driver-suite.js';
import { betterSqlite3Driver } from './better-sqlite3-driver.js';
import { nodeSqliteDriver } from './node-sqlite-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `d${++n}.db`);

runSqliteDriverSuite({ name: 'better-sqlite3', driver: betterSqlite3Driver, file });

// Built into Node from 22.13 (Deno's embedded driver; test/runtimes runs it there on every Node).
const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;
if (hasNodeSqlite) {
  runSqliteDriverSuite({ name: 'node:sqlite on Node', driver: nodeSqliteDriver, file });
} else {
  describe('SqliteDriver conformance: node:sqlite on Node', () => {
    it.skip(`needs Node 22.13 or later (this is ${process.version}); test/runtimes runs it under Deno`, () => {});
  });
}
