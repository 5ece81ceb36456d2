import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RevocationStore } from '../engine.js';

/** Options of {@link sqliteRevocations}. */
export interface SqliteRevocationsOptions {
  /** Database file; its directory is created if missing. `":memory:"` for a throw-away store. */
  path: string;
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/**
 * Revocations in a SQLite file: they survive a restart of a single-node hub, so a forced logout
 * still holds after `tidings serve` is restarted, and worker processes opening the same file
 * share them. Revoked keys and user cut-offs live in two tables; expired rows are deleted on
 * every write.
 */
export class SqliteRevocations implements RevocationStore {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly upsert: Database.Statement<[string, number]>;
  private readonly lookup: Database.Statement<[string, number]>;
  private readonly purge: Database.Statement<[number]>;
  private readonly upsertCut: Database.Statement<[string, number, number]>;
  private readonly lookupCut: Database.Statement<[string, number], { up_to: number }>;
  private readonly purgeCuts: Database.Statement<[number]>;

  constructor(options: SqliteRevocationsOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.now = options.now ?? Date.now;
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS revocations (key TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS cutoffs (key TEXT PRIMARY KEY, up_to INTEGER NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;`,
    );
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
    return this.lookupCut.get(key, this.now())?.up_to;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/**
 * Creates a SQLite-backed {@link RevocationStore}.
 * @see SqliteRevocations
 */
export function sqliteRevocations(options: SqliteRevocationsOptions): SqliteRevocations {
  return new SqliteRevocations(options);
}
