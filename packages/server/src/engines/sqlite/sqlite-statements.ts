import type { SqliteConnection, SqliteStatement } from './sqlite-driver.js';

/** Largest `IN (...)` list before a read falls back to scanning by position. */
export const MAX_IN = 256;
/**
 * Rows one synchronous query of a long read or sweep touches before the store yields to the
 * event loop: about a millisecond of SQLite work.
 */
export const CHUNK = 1024;

/** The smallest power of two holding `n`: `IN (...)` lists are prepared for these sizes only. */
export function inArity(n: number): number {
  let a = 1;
  while (a < n) a *= 2;
  return a;
}

/** `values` padded to `arity` by repeating the first (a repeat changes no `IN` answer). */
export function padded(values: readonly string[], arity: number): string[] {
  const out = values.slice();
  while (out.length < arity) out.push(values[0] as string);
  return out;
}

/** The history store's statements, each prepared once when the file is opened. */
export function prepareHistoryStatements(db: SqliteConnection) {
  return {
    getIdKey: db.prepare(`SELECT value FROM kv WHERE key = 'id-key'`),
    setIdKey: db.prepare(`INSERT INTO kv(key, value) VALUES ('id-key', ?)`),
    getKv: db.prepare('SELECT value FROM kv WHERE key = ?'),
    putKv: db.prepare('INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)'),
    insert: db.prepare(
      'INSERT INTO events(id, publisher, topic, type, ts, data, meta) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING pos',
    ),
    ownById: db.prepare(
      'SELECT pos, id, topic, type, ts, data, meta FROM events WHERE topic = ? AND id = ? AND publisher = ?',
    ),
    head: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`),
    dataVersion: db.prepare('PRAGMA data_version'),
    bumpTopic: db.prepare(
      `INSERT INTO topics(topic, count, evicted_through) VALUES (?, ?, 0)
       ON CONFLICT(topic) DO UPDATE SET count = count + excluded.count RETURNING count`,
    ),
    nthOfTopic: db.prepare('SELECT pos FROM events WHERE topic = ? ORDER BY pos LIMIT 1 OFFSET ?'),
    deleteTopicThrough: db.prepare('DELETE FROM events WHERE topic = ? AND pos <= ?'),
    maxPosOfTopicThrough: db.prepare('SELECT max(pos) AS m FROM events WHERE topic = ? AND pos <= ?'),
    markEvicted: db.prepare(
      `UPDATE topics SET count = count - ?, evicted_through = max(evicted_through, ?) WHERE topic = ?
       RETURNING count, evicted_through`,
    ),
    deleteTopic: db.prepare('DELETE FROM topics WHERE topic = ?'),
    countTopics: db.prepare('SELECT count(*) AS n FROM topics'),
    firstAtOrAfter: db.prepare('SELECT pos, ts FROM events WHERE pos >= ? ORDER BY pos LIMIT 1'),
    minPos: db.prepare('SELECT min(pos) AS m FROM events'),
    topicsBetween: db.prepare(
      'SELECT pos, topic FROM events WHERE pos > ? AND pos <= ? ORDER BY pos LIMIT ?',
    ),
    topicsUnder: db.prepare(
      'SELECT topic, evicted_through FROM topics WHERE topic > ? AND topic < ? ORDER BY topic LIMIT ?',
    ),
    evictedAfter: db.prepare(
      `SELECT topic, evicted_through FROM topics WHERE (evicted_through, topic) > (?, ?)
       ORDER BY evicted_through, topic LIMIT ?`,
    ),
    scanAfter: db.prepare('SELECT pos, topic FROM events WHERE pos > ? ORDER BY pos LIMIT ?'),
    byPos: db.prepare('SELECT pos, id, topic, type, ts, data, meta FROM events WHERE pos = ?'),
  };
}

/** The prepared statements of an open history file. */
export type HistoryStatements = ReturnType<typeof prepareHistoryStatements>;

/** The highest position ever issued (0 for a new file). */
export function headOf(stmt: HistoryStatements): number {
  const row = stmt.head.get() as { seq: number } | undefined;
  return row?.seq ?? 0;
}

/** Statements with an `IN (...)` list, prepared once per list size ({@link inArity}). */
export class StatementsByArity {
  private readonly readCache = new Map<number, SqliteStatement>();
  private readonly topicsInCache = new Map<number, SqliteStatement>();
  private readonly idInCache = new Map<number, SqliteStatement>();

  constructor(private readonly db: SqliteConnection) {}

  read(arity: number): SqliteStatement {
    let s = this.readCache.get(arity);
    if (!s) {
      const marks = new Array(arity).fill('?').join(',');
      s = this.db.prepare(
        `SELECT pos, id, topic, type, ts, data, meta FROM events WHERE topic IN (${marks}) AND pos > ? AND pos <= ? ORDER BY pos LIMIT ?`,
      );
      this.readCache.set(arity, s);
    }
    return s;
  }

  topicsIn(arity: number): SqliteStatement {
    let s = this.topicsInCache.get(arity);
    if (!s) {
      const marks = new Array(arity).fill('?').join(',');
      s = this.db.prepare(`SELECT topic, evicted_through FROM topics WHERE topic IN (${marks})`);
      this.topicsInCache.set(arity, s);
    }
    return s;
  }

  idIn(arity: number): SqliteStatement {
    let s = this.idInCache.get(arity);
    if (!s) {
      const marks = new Array(arity).fill('?').join(',');
      s = this.db.prepare(
        `SELECT pos, id, topic, type, ts, data, meta FROM events WHERE id = ? AND topic IN (${marks}) ORDER BY pos LIMIT ?`,
      );
      this.idInCache.set(arity, s);
    }
    return s;
  }
}
