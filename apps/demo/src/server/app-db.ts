/**
 * The backend's own database (SQLite): leases, workloads, operations, coaching data, and the
 * outbox of events still to be published. A change and its event are written in one
 * transaction, so an acknowledged change always reaches the hub, even if the hub is down then.
 */
import Database from 'better-sqlite3';

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
`;

export function openDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
}

export interface OutgoingEvent {
  topic: string;
  type: string;
  data: unknown;
}

/** Queues events in the outbox; call inside the transaction that made the change. */
export function enqueue(db: Db, events: readonly OutgoingEvent[]): void {
  const insert = db.prepare('INSERT INTO outbox (id, topic, type, data) VALUES (?, ?, ?, ?)');
  for (const e of events) insert.run(`demo-${crypto.randomUUID()}`, e.topic, e.type, JSON.stringify(e.data));
}

export const now = (): string => new Date().toISOString();
