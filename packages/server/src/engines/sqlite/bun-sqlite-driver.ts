import { builtinModule } from '../builtin-module.js';
import type {
  SqliteConnection,
  SqliteDriver,
  SqliteRunResult,
  SqliteStatement,
  SqliteValue,
} from './sqlite-driver.js';

/** The part of `bun:sqlite` used here (Bun's types are not installed where Node builds this). */
interface BunStatement {
  run(...params: SqliteValue[]): SqliteRunResult;
  get(...params: SqliteValue[]): unknown;
  all(...params: SqliteValue[]): unknown[];
}
interface BunDatabase {
  prepare(sql: string): BunStatement;
  exec(sql: string): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}
type BunDatabaseClass = new (path: string, options: { create: boolean; readwrite: boolean }) => BunDatabase;

/** bun:sqlite answers "no row" with `null`; the stores expect `undefined`. */
class BunSqliteStatement implements SqliteStatement {
  constructor(private readonly stmt: BunStatement) {}
  run(...params: SqliteValue[]): SqliteRunResult {
    return this.stmt.run(...params);
  }
  get(...params: SqliteValue[]): unknown {
    return this.stmt.get(...params) ?? undefined;
  }
  all(...params: SqliteValue[]): unknown[] {
    return this.stmt.all(...params);
  }
}

class BunSqliteConnection implements SqliteConnection {
  constructor(private readonly db: BunDatabase) {}
  prepare(sql: string): SqliteStatement {
    return new BunSqliteStatement(this.db.prepare(sql));
  }
  exec(sql: string): unknown {
    return this.db.exec(sql);
  }
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return this.db.transaction(fn);
  }
  close(): void {
    this.db.close();
  }
}

/** Bun's built-in `bun:sqlite` binding, Bun's embedded default (better-sqlite3 does not load there). */
export const bunSqliteDriver: SqliteDriver = {
  name: 'bun:sqlite',
  open(path: string): SqliteConnection {
    const { Database } = builtinModule<{ Database: BunDatabaseClass }>('bun:sqlite', 'The bun:sqlite driver');
    const db = new Database(path, { create: true, readwrite: true });
    db.exec('PRAGMA busy_timeout = 5000');
    return new BunSqliteConnection(db);
  },
};
