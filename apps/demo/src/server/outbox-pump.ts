/**
 * Publishes the outbox to the hub (`POST /publish` with the publisher key), oldest first, and
 * deletes what the hub acknowledged. Each event keeps the id it was queued with, so a batch
 * resent after a lost answer is not stored twice. While the hub is down it retries every second.
 */
import type { Db } from './app-db.js';

interface Row {
  seq: number;
  id: string;
  topic: string;
  type: string;
  data: string;
}

export class OutboxPump {
  private running = false;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
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
    this.running = true;
    this.drain()
      .catch((e: Error) => {
        const message = `Could not publish to the hub at ${this.hubUrl} (${e.message}); retrying every second.`;
        if (this.lastError !== message) this.onError(message);
        this.lastError = message;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.kick(), 1000);
        this.timer.unref();
      })
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

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async drain(): Promise<void> {
    const select = this.db.prepare('SELECT seq, id, topic, type, data FROM outbox ORDER BY seq LIMIT 200');
    for (;;) {
      const rows = select.all() as Row[];
      if (rows.length === 0) return;
      // The payload is already JSON: splice it in rather than parse and re-serialise it.
      const body = `[${rows
        .map(
          (r) =>
            `{"id":${JSON.stringify(r.id)},"topic":${JSON.stringify(r.topic)},"type":${JSON.stringify(r.type)},"data":${r.data}}`,
        )
        .join(',')}]`;
      const res = await fetch(`${this.hubUrl}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      await res.arrayBuffer();
      const last = rows[rows.length - 1] as Row;
      this.db.prepare('DELETE FROM outbox WHERE seq <= ?').run(last.seq);
      this.lastError = undefined;
    }
  }
}
