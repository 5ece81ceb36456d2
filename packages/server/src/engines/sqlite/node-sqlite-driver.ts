import { builtinModule } from '../builtin-module.js';
import type { SqliteConnection, SqliteDriver, SqliteStatement } from './sqlite-driver.js';

/** The part of `node:sqlite` used here (Node 20's types do not have it). */
interface DatabaseSync {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}
type DatabaseSyncClass = new (path: string) => DatabaseSync;

/**
 * node:sqlite has no transaction helper: this one nests as better-sqlite3's does, the outer call a
 * transaction, inner calls savepoints.
 */
class NodeSqliteConnection implements SqliteConnection {
  private depth = 0;
  constructor(private readonly db: DatabaseSync) {}
  prepare(sql: string): SqliteStatement {
    return this.db.prepare(sql);
  }
  exec(sql: string): void {
    this.db.exec(sql);
  }
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      const outer = this.depth === 0;
      const savepoint = `tidings_${this.depth}`;
      this.db.exec(outer ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
      this.depth++;
      let result: R;
      try {
        result = fn(...args);
      } catch (e) {
        this.depth--;
        this.undo(outer, savepoint);
        throw e;
      }
      this.depth--;
      try {
        this.db.exec(outer ? 'COMMIT' : `RELEASE ${savepoint}`);
      } catch (e) {
        this.undo(outer, savepoint);
        throw e;
      }
      return result;
    };
  }
  close(): void {
    this.db.close();
  }
  private undo(outer: boolean, savepoint: string): void {
    try {
      this.db.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
    } catch {
      // SQLite already rolled the transaction back (as it does on some I/O errors).
    }
  }
}

/**
 * The `node:sqlite` binding built into Deno 2 (and Node 22.13+): Deno's embedded default, as
 * better-sqlite3's addon does not load there.
 */
export const nodeSqliteDriver: SqliteDriver = {
  name: 'node:sqlite',
  open(path: string): SqliteConnection {
    const { DatabaseSync } = builtinModule<{ DatabaseSync: DatabaseSyncClass }>(
      'node:sqlite',
      'The node:sqlite driver',
    );
    const db = new DatabaseSync(path);
    db.exec('PRAGMA busy_timeout = 5000');
    return new NodeSqliteConnection(db);
  },
};
