/**
 * The backend's own database (SQLite): leases, workloads, operations, coaching data, and the
 * outbox of events still to be published. A change and its event are written in one
 * transaction, so an acknowledged change always reaches the hub, even if the hub is down then.
 */
import Database from 'better-sqlite3';
import { outgoingEventProblem } from './outgoing-event-check.js';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS leases (ip TEXT PRIMARY KEY, mac TEXT NOT NULL, hostname TEXT NOT NULL,
  pool TEXT NOT NULL, state TEXT NOT NULL, expires_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clusters (id TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workloads (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, cluster_id TEXT NOT NULL,
  name TEXT NOT NULL, status TEXT NOT NULL, replicas INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS builds (id INTEGER PRIMARY KEY AUTOINCREMENT, workload_id TEXT NOT NULL,
  project_id TEXT NOT NULL, status TEXT NOT NULL, commit_sha TEXT NOT NULL, started_at TEXT NOT NULL,
  finished_at TEXT);
CREATE TABLE IF NOT EXISTS onus (id TEXT PRIMARY KEY, olt TEXT NOT NULL, subscriber TEXT NOT NULL,
  status TEXT NOT NULL, rx_dbm REAL NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS radius_sessions (id TEXT PRIMARY KEY, username TEXT NOT NULL, nas TEXT NOT NULL,
  framed_ip TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL, bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS coaching_items (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
  session_id TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, created_by TEXT NOT NULL,
  updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logouts (user TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,
  topic TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,
  topic TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, status INTEGER, reason TEXT NOT NULL,
  failed_at INTEGER NOT NULL);
`;

/** Columns added after the first release; a data directory from then gets them on open. */
const MIGRATIONS: Array<{ table: string; column: string; ddl: string }> = [
  // When an event was queued, so /api/health can say how long publishing has been stuck.
  { table: 'outbox', column: 'queued_at', ddl: 'ALTER TABLE outbox ADD COLUMN queued_at INTEGER' },
];

export function openDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  for (const m of MIGRATIONS) {
    const cols = db.prepare(`PRAGMA table_info(${m.table})`).all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === m.column)) db.exec(m.ddl);
  }
  return db;
}

export interface OutgoingEvent {
  topic: string;
  type: string;
  data: unknown;
}

/**
 * Queues events in the outbox; call inside the transaction that made the change.
 * @throws Error for an event the hub would refuse (a reserved type, a bad topic, a payload too
 *   large or too deep): routes check user input first and answer 400, so this is a bug in the
 *   caller, and the transaction rolls back instead of queueing an event that cannot go out.
 */
export function enqueue(db: Db, events: readonly OutgoingEvent[]): void {
  const insert = db.prepare('INSERT INTO outbox (id, topic, type, data, queued_at) VALUES (?, ?, ?, ?, ?)');
  for (const e of events) {
    const data = JSON.stringify(e.data) ?? 'null';
    const problem = outgoingEventProblem(e.topic, e.type, data);
    if (problem) throw new Error(`Refusing to queue a "${e.type}" event on "${e.topic}": ${problem}`);
    insert.run(`demo-${crypto.randomUUID()}`, e.topic, e.type, data, Date.now());
  }
}

export const now = (): string => new Date().toISOString();
