import type { HubError } from '../../core/errors.js';
import type { CloseReason, ConnectionInfo, HubObserver } from '../../core/observer.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { HubRequest } from '../../http/hub-request.js';

/** Options of {@link ActivityTracker}. */
export interface ActivityTrackerOptions {
  /** Seconds of per-second history kept for the events/s chart. @defaultValue 300 */
  windowSeconds?: number | undefined;
  /** Recent events kept (payload previews included). @defaultValue 25 */
  recentEvents?: number | undefined;
  /** Characters of each recent event's payload kept as a preview. @defaultValue 400 */
  previewChars?: number | undefined;
  /** Distinct topics and types counted before the least frequent are forgotten. @defaultValue 1000 */
  maxKeys?: number | undefined;
  /** Clock in epoch ms (tests). @defaultValue Date.now */
  now?: (() => number) | undefined;
}

/** One row of a ranking. */
export interface CountEntry {
  readonly name: string;
  readonly count: number;
}

/** A recently published event, as shown on the admin page. */
export interface RecentEvent {
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  readonly time: string;
  readonly bytes: number;
  /** The start of the payload JSON; `truncated` says whether there was more. */
  readonly preview: string;
  readonly truncated: boolean;
}

/** A connection dropped for not reading. */
export interface SlowConsumerEntry {
  readonly id: string;
  readonly user: string | undefined;
  readonly remoteAddress: string;
  readonly bufferedBytes: number;
  readonly time: string;
}

/** Figures about what the hub has been doing, gathered by {@link ActivityTracker}. */
export interface ActivitySnapshot {
  /**
   * Per-second counts, oldest first, the last entry being the current (partial) second. They span
   * the window, or the tracker's lifetime when shorter (at least 20 s), so a young hub's chart is
   * not mostly empty.
   */
  readonly series: { readonly start: number; readonly published: number[]; readonly delivered: number[] };
  /** Events published per second over the last complete 10 seconds. */
  readonly publishedPerSecond: number;
  /** Deliveries per second over the last complete 10 seconds. */
  readonly deliveredPerSecond: number;
  readonly totals: {
    readonly published: number;
    readonly delivered: number;
    readonly replayed: number;
    readonly resets: number;
    readonly connectionsOpened: number;
    readonly connectionsClosed: number;
    readonly slowConsumers: number;
    readonly rejected: number;
    readonly errors: number;
  };
  /** Published events by type, most frequent first (top 12). */
  readonly types: readonly CountEntry[];
  /** Published events by topic, most frequent first (top 12). */
  readonly topics: readonly CountEntry[];
  /** Close reasons so far. */
  readonly closeReasons: Readonly<Record<string, number>>;
  /** Refused requests by error code. */
  readonly rejectedByCode: readonly CountEntry[];
  /** Newest first. */
  readonly recent: readonly RecentEvent[];
  /** Newest first. */
  readonly slowConsumers: readonly SlowConsumerEntry[];
}

/**
 * A map of counts that never holds more than `2 × max` keys: when it outgrows that, it keeps the
 * `max` largest. Counts of a key that was forgotten and comes back restart from zero, which is
 * what a "top topics" view of a hub with unbounded topic names can afford.
 */
class TopCounts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly max: number) {}

  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    if (this.counts.size > 2 * this.max) {
      const keep = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, this.max);
      this.counts.clear();
      for (const [k, v] of keep) this.counts.set(k, v);
    }
  }

  top(n: number): CountEntry[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([name, count]) => ({ name, count }));
  }

  get size(): number {
    return this.counts.size;
  }
}

/**
 * A {@link HubObserver} that keeps the figures the admin page and `tidings top` show: events per
 * second over the last minutes, type and topic rankings, recent events and slow consumers. All
 * of it bounded in memory; hot-path hooks do a few map and array updates.
 */
export class ActivityTracker implements HubObserver {
  private readonly window: number;
  private readonly recentMax: number;
  private readonly previewChars: number;
  private readonly now: () => number;
  private readonly pub: Float64Array;
  private readonly del: Float64Array;
  /** The second (epoch s) that slot `head` counts. */
  private headSecond: number;
  private head = 0;
  private readonly startSecond: number;
  private readonly typeCounts: TopCounts;
  private readonly topicCounts: TopCounts;
  private readonly rejectCounts = new TopCounts(50);
  private readonly reasons: Record<string, number> = {};
  /** Kept as given and formatted in `snapshot()`: the hot path only stores references. */
  private readonly recent: StoredEvent[] = [];
  private readonly slow: SlowConsumerEntry[] = [];
  private readonly totals = {
    published: 0,
    delivered: 0,
    replayed: 0,
    resets: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    slowConsumers: 0,
    rejected: 0,
    errors: 0,
  };

  constructor(o: ActivityTrackerOptions = {}) {
    this.window = o.windowSeconds ?? 300;
    this.recentMax = o.recentEvents ?? 25;
    this.previewChars = o.previewChars ?? 400;
    this.now = o.now ?? Date.now;
    const maxKeys = o.maxKeys ?? 1000;
    this.typeCounts = new TopCounts(maxKeys);
    this.topicCounts = new TopCounts(maxKeys);
    this.pub = new Float64Array(this.window);
    this.del = new Float64Array(this.window);
    this.headSecond = Math.floor(this.now() / 1000);
    this.startSecond = this.headSecond;
  }

  /** Distinct topics currently counted (bounded by `2 × maxKeys`). */
  get trackedTopics(): number {
    return this.topicCounts.size;
  }

  /** Moves the ring to the current second, zeroing the seconds nobody counted in. */
  private slot(): number {
    const sec = Math.floor(this.now() / 1000);
    const ahead = sec - this.headSecond;
    if (ahead > 0) {
      const steps = Math.min(ahead, this.window);
      for (let i = 0; i < steps; i++) {
        this.head = (this.head + 1) % this.window;
        this.pub[this.head] = 0;
        this.del[this.head] = 0;
      }
      this.headSecond = sec;
    }
    return this.head;
  }

  /** The figures as of now. */
  snapshot(): ActivitySnapshot {
    const h = this.slot();
    const published: number[] = [];
    const delivered: number[] = [];
    const span = Math.min(this.window, Math.max(20, this.headSecond - this.startSecond + 1));
    for (let i = this.window - span + 1; i <= this.window; i++) {
      const k = (h + i) % this.window;
      published.push(this.pub[k] as number);
      delivered.push(this.del[k] as number);
    }
    const lastTen = (a: number[]) => a.slice(-11, -1).reduce((s, x) => s + x, 0) / 10;
    return {
      series: { start: (this.headSecond - span + 1) * 1000, published, delivered },
      publishedPerSecond: lastTen(published),
      deliveredPerSecond: lastTen(delivered),
      totals: { ...this.totals },
      types: this.typeCounts.top(12),
      topics: this.topicCounts.top(12),
      closeReasons: { ...this.reasons },
      rejectedByCode: this.rejectCounts.top(12),
      recent: this.recent
        .slice(-this.recentMax)
        .reverse()
        .map((ev): RecentEvent => {
          const truncated = ev.dataJson.length > this.previewChars;
          return {
            id: ev.id,
            topic: ev.topic,
            type: ev.type,
            time: new Date(ev.ts).toISOString(),
            bytes: ev.dataJson.length,
            preview: truncated ? ev.dataJson.slice(0, this.previewChars) : ev.dataJson,
            truncated,
          };
        }),
      slowConsumers: [...this.slow].reverse(),
    };
  }

  // ---- HubObserver ------------------------------------------------------------------------

  connectionOpened(): void {
    this.totals.connectionsOpened++;
  }

  connectionClosed(_conn: ConnectionInfo, reason: CloseReason): void {
    this.totals.connectionsClosed++;
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
  }

  published(events: readonly StoredEvent[]): void {
    const s = this.slot();
    this.pub[s] = (this.pub[s] as number) + events.length;
    this.totals.published += events.length;
    for (const ev of events) {
      this.typeCounts.add(ev.type);
      this.topicCounts.add(ev.topic);
    }
    const from = Math.max(0, events.length - this.recentMax);
    for (let i = from; i < events.length; i++) this.recent.push(events[i] as StoredEvent);
    if (this.recent.length > 2 * this.recentMax) this.recent.splice(0, this.recent.length - this.recentMax);
  }

  delivered(_event: StoredEvent, subscribers: number): void {
    const s = this.slot();
    this.del[s] = (this.del[s] as number) + subscribers;
    this.totals.delivered += subscribers;
  }

  replayed(_conn: ConnectionInfo, count: number): void {
    this.totals.replayed += count;
  }

  resetSent(): void {
    this.totals.resets++;
  }

  slowConsumer(conn: ConnectionInfo): void {
    this.totals.slowConsumers++;
    this.slow.push({
      id: conn.id,
      user: conn.user,
      remoteAddress: conn.remoteAddress,
      bufferedBytes: conn.bufferedBytes,
      time: new Date(this.now()).toISOString(),
    });
    if (this.slow.length > 20) this.slow.shift();
  }

  requestRejected(_req: HubRequest, error: HubError): void {
    this.totals.rejected++;
    this.rejectCounts.add(error.code);
  }

  error(): void {
    this.totals.errors++;
  }
}
