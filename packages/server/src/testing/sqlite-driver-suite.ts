import { afterEach, describe, expect, it } from 'vitest';
import { isBusyError, type SqliteConnection, type SqliteDriver } from '../engines/sqlite/sqlite-driver.js';

/** How the driver suite opens databases. */
export interface SqliteDriverSuiteOptions {
  /** Name shown in the test report. */
  name: string;
  /** The driver under test. */
  driver: SqliteDriver;
  /** A path for a new database file, in a directory that exists. */
  file(): string;
}

/**
 * What the SQLite stores rely on from a driver, checked on each binding (better-sqlite3 on Node,
 * bun:sqlite on Bun, node:sqlite on Deno): rows as objects, `undefined` for no row, changes
 * counted, transactions that nest as savepoints, and lock errors recognized as such.
 */
export function runSqliteDriverSuite(o: SqliteDriverSuiteOptions): void {
  describe(`SqliteDriver conformance: ${o.name}`, () => {
    const open: SqliteConnection[] = [];
    const connect = (path = o.file()): SqliteConnection => {
      const db = o.driver.open(path);
      open.push(db);
      return db;
    };
    const table = (): SqliteConnection => {
      const db = connect();
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL); CREATE TABLE u (x INTEGER)');
      return db;
    };
    const keys = (db: SqliteConnection): string[] =>
      (db.prepare('SELECT k FROM t ORDER BY k').all() as Array<{ k: string }>).map((r) => r.k);
    afterEach(() => {
      for (const db of open.splice(0)) db.close();
    });

    it('reads rows as objects, integers as numbers, and no row as undefined', () => {
      const db = table();
      const insert = db.prepare('INSERT INTO t (k, n) VALUES (?, ?) RETURNING n');
      expect(insert.get('a', 1)).toEqual({ n: 1 });
      expect(db.prepare('INSERT INTO t (k, n) VALUES (?, ?)').run('b', 2 ** 40).changes).toBe(1);
      expect(db.prepare('SELECT k, n FROM t WHERE k = ?').get('b')).toEqual({ k: 'b', n: 2 ** 40 });
      expect(db.prepare('SELECT k FROM t WHERE k = ?').get('none')).toBeUndefined();
      expect(db.prepare('SELECT k, n FROM t ORDER BY k').all()).toEqual([
        { k: 'a', n: 1 },
        { k: 'b', n: 2 ** 40 },
      ]);
      expect(db.prepare('SELECT k FROM t WHERE n > ?').all(2 ** 50)).toEqual([]);
      expect(Number(db.prepare('DELETE FROM t').run().changes)).toBe(2);
      expect((db.prepare('PRAGMA data_version').get() as { data_version: unknown }).data_version).toEqual(
        expect.any(Number),
      );
    });

    it('binds null, and reuses one statement for many calls', () => {
      const db = connect();
      db.exec('CREATE TABLE v (a TEXT, b TEXT)');
      const insert = db.prepare('INSERT INTO v (a, b) VALUES (?, ?)');
      for (let i = 0; i < 100; i++) insert.run(`a${i}`, i % 2 === 0 ? null : `b${i}`);
      expect(db.prepare('SELECT count(*) AS c FROM v WHERE b IS NULL').get()).toEqual({ c: 50 });
    });

    it('commits a transaction when it returns and rolls it back when it throws', () => {
      const db = table();
      const insert = db.prepare('INSERT INTO t (k, n) VALUES (?, 0)');
      const add = db.transaction((...ks: string[]) => {
        for (const k of ks) insert.run(k);
        return ks.length;
      });
      expect(add('a', 'b')).toBe(2);
      expect(() => add('c', 'a')).toThrow();
      expect(keys(db)).toEqual(['a', 'b']);
      // The connection is usable after a rollback: no transaction left open.
      expect(add('d')).toBe(1);
      expect(keys(db)).toEqual(['a', 'b', 'd']);
    });

    it('nests a transaction as a savepoint: an inner failure is undone alone', () => {
      const db = table();
      const insert = db.prepare('INSERT INTO t (k, n) VALUES (?, 0)');
      const one = db.transaction((k: string) => insert.run(k));
      const group = db.transaction((ks: string[]) => {
        const failed: string[] = [];
        for (const k of ks) {
          try {
            one(k);
          } catch {
            failed.push(k);
          }
        }
        return failed;
      });
      expect(group(['a', 'b', 'a', 'c'])).toEqual(['a']);
      expect(keys(db)).toEqual(['a', 'b', 'c']);
      // A failure of the outer body still undoes everything its savepoints kept.
      const failing = db.transaction(() => {
        one('d');
        throw new Error('the outer body fails');
      });
      expect(() => failing()).toThrow('the outer body fails');
      expect(keys(db)).toEqual(['a', 'b', 'c']);
    });

    it('sees what another connection to the file committed', () => {
      const path = o.file();
      const a = connect(path);
      a.exec('PRAGMA journal_mode = WAL');
      a.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
      const b = connect(path);
      b.prepare('INSERT INTO t (k, n) VALUES (?, ?)').run('from-b', 1);
      expect(a.prepare('SELECT k FROM t').all()).toEqual([{ k: 'from-b' }]);
    });

    it('reports a lock held by another connection as busy', () => {
      const path = o.file();
      const a = connect(path);
      a.exec('PRAGMA journal_mode = WAL');
      a.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
      const b = connect(path);
      b.exec('PRAGMA busy_timeout = 0');
      a.exec('BEGIN IMMEDIATE');
      let error: unknown;
      try {
        b.prepare('INSERT INTO t (k, n) VALUES (?, ?)').run('x', 1);
      } catch (e) {
        error = e;
      }
      a.exec('ROLLBACK');
      expect(error).toBeInstanceOf(Error);
      expect(isBusyError(error)).toBe(true);
      expect(isBusyError(new Error('no such table: t'))).toBe(false);
    });
  });
}
