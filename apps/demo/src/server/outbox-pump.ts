/**
 * Publishes the outbox to the hub (`POST /publish` with the publisher key), oldest first, and
 * deletes what the hub acknowledged. Each event keeps the id it was queued with, so a batch
 * resent after a lost answer is not stored twice.
 *
 * One bad event never blocks the others: an event the hub refuses for good (400, 409, 413, 415,
 * 422: something about the event itself) is set aside as a dead letter with the hub's reason, and
 * the rest go on. Everything else (the hub down, 5xx, 408, 429, and 401/403/404, which say the
 * backend's key or hub URL is wrong, not the event) is retried with backoff and reported by
 * {@link OutboxPump.health} until it clears.
 */
import type { Db } from './app-db.js';
import { countDeadLetters, type OutboxRow, setAside } from './dead-letters.js';
import { outgoingEventProblem } from './outgoing-event-check.js';

/** Statuses that judge the event, not the hub or the backend's credentials. */
const REFUSES_EVENT = new Set([400, 409, 413, 415, 422]);
/** Publishing counts as stuck once the oldest queued event waited this long. */
export const STUCK_AFTER_MS = 5000;
const BATCH = 200;
const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];

/** What /api/health reports about publishing. */
export interface PublishHealth {
  /** `ok`; `stuck` when events wait longer than {@link STUCK_AFTER_MS} or the hub fails. */
  state: 'ok' | 'stuck';
  /** Events waiting to be published. */
  outboxPending: number;
  /** How long the oldest waiting event has waited, in ms (0 when none waits). */
  oldestPendingMs: number;
  /** Why the last attempt failed, as a sentence, while it keeps failing. */
  hubError: string | null;
  /** Since when attempts fail, ISO-8601 UTC. */
  failingSince: string | null;
  /** Events set aside (see GET /api/dead-letters). */
  deadLetters: number;
}

/** A failure worth retrying: the hub down, busy, or refusing the backend rather than the event. */
class Transient extends Error {}

interface HubAnswer {
  ok: boolean;
  status: number;
  reason: string;
}

export class OutboxPump {
  private running = false;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private failures = 0;
  private failingSinceMs: number | undefined;
  private readonly startedAt = Date.now();
  /** Set while the hub refuses or cannot be reached; shown by /api/health. */
  lastError: string | undefined;

  constructor(
    private readonly db: Db,
    private readonly hubUrl: string,
    private readonly key: string,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  /** Sends what is queued now (coalesced with a send already running). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = true;
    this.drain()
      .then(
        () => {
          this.failures = 0;
          this.failingSinceMs = undefined;
          this.lastError = undefined;
        },
        (e: Error) => {
          const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] as number;
          this.failures++;
          this.failingSinceMs ??= Date.now();
          const message =
            e instanceof Transient
              ? e.message
              : `Could not publish to the hub at ${this.hubUrl} (${e.message}); retrying.`;
          if (this.lastError !== message) this.onError(message);
          this.lastError = message;
          this.timer = setTimeout(() => this.kick(), delay);
          this.timer.unref();
        },
      )
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Events waiting to be published. */
  pending(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  }

  /** End-to-end publishing state, for the page's "publishing stuck" banner. */
  health(): PublishHealth {
    const row = this.db.prepare('SELECT count(*) AS n, min(seq) AS first FROM outbox').get() as {
      n: number;
      first: number | null;
    };
    let oldestPendingMs = 0;
    if (row.first !== null) {
      const q = this.db.prepare('SELECT queued_at FROM outbox WHERE seq = ?').get(row.first) as {
        queued_at: number | null;
      };
      // Rows queued by a version without queued_at count from this start.
      oldestPendingMs = Math.max(0, Date.now() - (q.queued_at ?? this.startedAt));
    }
    const stuck = this.lastError !== undefined || oldestPendingMs > STUCK_AFTER_MS;
    return {
      state: stuck ? 'stuck' : 'ok',
      outboxPending: row.n,
      oldestPendingMs,
      hubError: this.lastError ?? null,
      failingSince: this.failingSinceMs === undefined ? null : new Date(this.failingSinceMs).toISOString(),
      deadLetters: countDeadLetters(this.db),
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async drain(): Promise<void> {
    const select = this.db.prepare(
      `SELECT seq, id, topic, type, data FROM outbox ORDER BY seq LIMIT ${BATCH}`,
    );
    for (;;) {
      if (this.closed) return;
      const rows = select.all() as OutboxRow[];
      if (rows.length === 0) return;
      // Rows an older version queued without checking (a reserved type, say) never go out.
      const good: OutboxRow[] = [];
      for (const r of rows) {
        const problem = outgoingEventProblem(r.topic, r.type, r.data);
        if (problem) this.setAside(r, null, `The backend did not send it: ${problem}`);
        else good.push(r);
      }
      if (good.length === 0) continue;
      const answer = await this.post(good);
      if (answer.ok) {
        this.acknowledge(good);
        continue;
      }
      if (!REFUSES_EVENT.has(answer.status)) throw this.transient(answer);
      // The batch was refused: find the event(s) at fault one at a time; the others go out.
      for (const r of good) {
        const one = good.length === 1 ? answer : await this.post([r]);
        if (one.ok) this.acknowledge([r]);
        else if (REFUSES_EVENT.has(one.status))
          this.setAside(r, one.status, `The hub refused it (HTTP ${one.status}): ${sentence(one.reason)}`);
        else throw this.transient(one);
      }
    }
  }

  private async post(rows: readonly OutboxRow[]): Promise<HubAnswer> {
    // The payload is already JSON: splice it in rather than parse and re-serialise it. A single
    // event goes as an object, so the hub's reason does not start with "Event 0: ".
    const items = rows.map(
      (r) =>
        `{"id":${JSON.stringify(r.id)},"topic":${JSON.stringify(r.topic)},"type":${JSON.stringify(r.type)},"data":${r.data}}`,
    );
    const body = items.length === 1 ? (items[0] as string) : `[${items.join(',')}]`;
    const res = await fetch(`${this.hubUrl}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.ok) return { ok: true, status: res.status, reason: '' };
    let reason = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      if (typeof parsed.error?.message === 'string') reason = parsed.error.message;
    } catch {
      // Not the hub's JSON (a proxy's page): keep the start of the text.
    }
    return { ok: false, status: res.status, reason };
  }

  private acknowledge(rows: readonly OutboxRow[]): void {
    const del = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.db.transaction(() => {
      for (const r of rows) del.run(r.seq);
    })();
    this.lastError = undefined;
  }

  private setAside(row: OutboxRow, status: number | null, reason: string): void {
    setAside(this.db, row, status, reason);
    this.onError(`Set aside the "${row.type}" event ${row.id} on "${row.topic}": ${reason}`);
  }

  private transient(a: HubAnswer): Transient {
    return new Transient(
      `The hub at ${this.hubUrl} answered HTTP ${a.status} to the backend's publish: ${sentence(a.reason)} Retrying with backoff.`,
    );
  }
}

/** Ends `s` with a full stop unless it already ends a sentence. */
function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
