/**
 * Events set aside: ones the hub refused for good (or that could never be published), kept with
 * the reason and the time instead of blocking the outbox. An operator retries or discards them.
 */
import type { Db } from './app-db.js';

/** An outbox row. */
export interface OutboxRow {
  seq: number;
  id: string;
  topic: string;
  type: string;
  data: string;
}

/** A set-aside event as the API lists it. */
export interface DeadLetter {
  seq: number;
  id: string;
  topic: string;
  type: string;
  /** The payload, parsed (the raw text when it is not JSON). */
  data: unknown;
  /** The hub's HTTP status, or null when the backend refused the event before sending it. */
  status: number | null;
  reason: string;
  /** When it was set aside, ISO-8601 UTC. */
  failedAt: string;
}

/** Moves one outbox row to the dead letters, in one transaction. */
export function setAside(db: Db, row: OutboxRow, status: number | null, reason: string): void {
  db.transaction(() => {
    db.prepare(
      'INSERT INTO dead_letters (id, topic, type, data, status, reason, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(row.id, row.topic, row.type, row.data, status, reason, Date.now());
    db.prepare('DELETE FROM outbox WHERE seq = ?').run(row.seq);
  })();
}

/** The newest set-aside events first (at most `limit`). */
export function listDeadLetters(db: Db, limit = 100): DeadLetter[] {
  const rows = db.prepare('SELECT * FROM dead_letters ORDER BY seq DESC LIMIT ?').all(limit) as Array<
    OutboxRow & { status: number | null; reason: string; failed_at: number }
  >;
  return rows.map((r) => {
    let data: unknown;
    try {
      data = JSON.parse(r.data);
    } catch {
      data = r.data;
    }
    return {
      seq: r.seq,
      id: r.id,
      topic: r.topic,
      type: r.type,
      data,
      status: r.status,
      reason: r.reason,
      failedAt: new Date(r.failed_at).toISOString(),
    };
  });
}

export function countDeadLetters(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
}

/**
 * Queues a set-aside event again (at the end of the outbox, with its id, so the hub stores it
 * once even if an earlier attempt did get through).
 * @returns false when there is no such dead letter.
 */
export function requeueDeadLetter(db: Db, seq: number): boolean {
  return db.transaction(() => {
    const row = db.prepare('SELECT * FROM dead_letters WHERE seq = ?').get(seq) as OutboxRow | undefined;
    if (!row) return false;
    db.prepare('INSERT INTO outbox (id, topic, type, data, queued_at) VALUES (?, ?, ?, ?, ?)').run(
      row.id,
      row.topic,
      row.type,
      row.data,
      Date.now(),
    );
    db.prepare('DELETE FROM dead_letters WHERE seq = ?').run(seq);
    return true;
  })();
}

/** Deletes a set-aside event for good. @returns false when there is no such dead letter. */
export function discardDeadLetter(db: Db, seq: number): boolean {
  return db.prepare('DELETE FROM dead_letters WHERE seq = ?').run(seq).changes > 0;
}
