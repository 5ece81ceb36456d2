import type { RevocationStore } from '../engine.js';
import { embeddedSqliteDriver } from './embedded-sqlite-driver.js';
import {
  isBusyError,
  type SqliteConnection,
  type SqliteDriver,
  type SqliteStatement,
} from './sqlite-driver.js';
import { ensureDirectoryOf } from './sqlite-file.js';

/** Options of {@link sqliteRevocations}. */
export interface SqliteRevocationsOptions {
  /** Database file; its directory is created if missing. `":memory:"` for a throw-away store. */
  path: string;
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
  /**
   * The SQLite binding that opens the file.
   * @defaultValue the runtime's own: `better-sqlite3` on Node, `bun:sqlite` on Bun, `node:sqlite` on Deno
   * @see embeddedSqliteDriver
   */
  driver?: SqliteDriver | undefined;
}

/** How long opening waits, in all, for other processes opening the same file. */
const OPEN_PATIENCE_MS = 10_000;

/**
 * Opens (and if need be creates) the revocations file, which several processes of one hub open
 * at once. Switching a new file to WAL takes a lock that SQLite's busy timeout does not wait for,
 * so a process that meets another one doing it gets SQLITE_BUSY at once: it waits a little and
 * tries again, for up to {@link OPEN_PATIENCE_MS}.
 */
function openShared(driver: SqliteDriver, path: string): SqliteConnection {
  const deadline = Date.now() + OPEN_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    const db = driver.open(path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(
        `CREATE TABLE IF NOT EXISTS revocations (key TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS cutoffs (key TEXT PRIMARY KEY, up_to INTEGER NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;`,
      );
      return db;
    } catch (e) {
      db.close();
      if (!isBusyError(e)) throw e;
      if (Date.now() >= deadline) {
        throw new Error(
          `The revocations file ${path} stayed locked by another process for ${OPEN_PATIENCE_MS / 1000} s; stop the other hub using this --data directory, or give this one its own.`,
        );
      }
      // Synchronous, as opening is: this runs once, at start, before anything is served.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(200, 5 * 2 ** attempt));
    }
  }
}

/**
 * Revocations in a SQLite file: they survive a restart of a single-node hub, so a forced logout
 * still holds after `tidings serve` is restarted, and worker processes opening the same file
 * share them. Revoked keys and user cut-offs live in two tables; expired rows are deleted on
 * every write.
 */
export class SqliteRevocations implements RevocationStore {
  private readonly db: SqliteConnection;
  private readonly now: () => number;
  private readonly upsert: SqliteStatement;
  private readonly lookup: SqliteStatement;
  private readonly purge: SqliteStatement;
  private readonly upsertCut: SqliteStatement;
  private readonly lookupCut: SqliteStatement;
  private readonly purgeCuts: SqliteStatement;
  private closed = false;

  constructor(options: SqliteRevocationsOptions) {
    ensureDirectoryOf(options.path);
    this.now = options.now ?? Date.now;
    this.db = openShared(options.driver ?? embeddedSqliteDriver(), options.path);
    this.upsert = this.db.prepare(
      'INSERT INTO revocations (key, until) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET until = max(until, excluded.until)',
    );
    this.lookup = this.db.prepare('SELECT 1 FROM revocations WHERE key = ? AND until > ?');
    this.purge = this.db.prepare('DELETE FROM revocations WHERE until <= ?');
    this.upsertCut = this.db.prepare(
      'INSERT INTO cutoffs (key, up_to, until) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET up_to = max(up_to, excluded.up_to), until = max(until, excluded.until)',
    );
    this.lookupCut = this.db.prepare('SELECT up_to FROM cutoffs WHERE key = ? AND until > ?');
    this.purgeCuts = this.db.prepare('DELETE FROM cutoffs WHERE until <= ?');
  }

  async revoke(key: string, untilMs: number): Promise<void> {
    this.purge.run(this.now());
    this.upsert.run(key, Math.ceil(untilMs));
  }

  async isRevoked(key: string): Promise<boolean> {
    return this.lookup.get(key, this.now()) !== undefined;
  }

  async revokeIssuedUpTo(key: string, issuedUpToMs: number, untilMs: number): Promise<void> {
    // An expired row must not lend its cut-off to the new one: purge first.
    this.purgeCuts.run(this.now());
    this.upsertCut.run(key, Math.floor(issuedUpToMs), Math.ceil(untilMs));
  }

  async issuedUpTo(key: string): Promise<number | undefined> {
    return (this.lookupCut.get(key, this.now()) as { up_to: number } | undefined)?.up_to;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/**
 * Creates a SQLite-backed {@link RevocationStore}.
 * @see SqliteRevocations
 */
export function sqliteRevocations(options: SqliteRevocationsOptions): SqliteRevocations {
  return new SqliteRevocations(options);
}
