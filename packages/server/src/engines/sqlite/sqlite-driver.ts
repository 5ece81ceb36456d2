/**
 * The part of an embedded SQLite binding the SQLite stores use: the SQL, migrations, ids and
 * caches live once in the stores, and each runtime brings the binding it ships
 * (`better-sqlite3` on Node, `bun:sqlite` on Bun, `node:sqlite` on Deno).
 */

/** A value bound to a `?` parameter. */
export type SqliteValue = string | number | bigint | null | Uint8Array;

/** What `run` reports. */
export interface SqliteRunResult {
  /** Rows the statement inserted, updated or deleted. */
  readonly changes: number | bigint;
}

/** A prepared statement, reused for every call: the stores prepare each SQL text once. */
export interface SqliteStatement {
  /** Executes the statement and reports the rows it changed. */
  run(...params: SqliteValue[]): SqliteRunResult;
  /** The first result row as an object keyed by column name, or `undefined` when there is none. */
  get(...params: SqliteValue[]): unknown;
  /** Every result row, as objects keyed by column name. */
  all(...params: SqliteValue[]): unknown[];
}

/** One open database connection. Integers come back as JavaScript numbers. */
export interface SqliteConnection {
  /** Compiles a statement. */
  prepare(sql: string): SqliteStatement;
  /** Runs one or more `;`-separated statements that return no rows the caller needs. */
  exec(sql: string): unknown;
  /**
   * Wraps `fn` in a transaction: committed when it returns, rolled back when it throws. Called
   * inside another transaction it becomes a savepoint, undone alone when it throws.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** Closes the connection. */
  close(): unknown;
}

/**
 * Opens SQLite files with one runtime's binding.
 * @see betterSqlite3Driver, bunSqliteDriver, nodeSqliteDriver, embeddedSqliteDriver
 */
export interface SqliteDriver {
  /** The binding's name, for messages: `"better-sqlite3"`, `"bun:sqlite"` or `"node:sqlite"`. */
  readonly name: string;
  /**
   * Opens (and creates if missing) the database file, waiting up to 5 s for a lock another
   * connection holds. `":memory:"` opens a throw-away database.
   */
  open(path: string): SqliteConnection;
}

/** SQLite's primary result codes for "busy" and "locked". */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/**
 * Whether an error a driver threw means another connection holds a lock (SQLITE_BUSY or
 * SQLITE_LOCKED), whichever binding threw it: better-sqlite3 and bun:sqlite name the code,
 * node:sqlite gives the number (Node) or only the message (Deno).
 */
export function isBusyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; errcode?: unknown; errno?: unknown; message?: unknown };
  if (typeof e.code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(e.code)) return true;
  for (const n of [e.errcode, e.errno]) {
    if (typeof n === 'number' && ((n & 0xff) === SQLITE_BUSY || (n & 0xff) === SQLITE_LOCKED)) return true;
  }
  return (
    e.code === 'ERR_SQLITE_ERROR' &&
    typeof e.message === 'string' &&
    /database (table )?is (locked|busy)/.test(e.message)
  );
}
