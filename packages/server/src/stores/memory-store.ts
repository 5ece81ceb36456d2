import { HubError } from '../errors.js';
import type { NewEvent, StoredEvent } from '../stored-event.js';
import type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  RetentionOptions,
  TopicFilter,
} from './history-store.js';
import { nextTurn } from './next-turn.js';
import { PrunedTopics } from './pruned-topics.js';
import { generatedId, newEpoch, parseGeneratedId, RetentionPolicy } from './retention.js';
import { TopicTrie } from './topic-trie.js';

/** Log entries a read walks, or topics a sweep visits, before it lets other work run. */
const CHUNK = 4096;

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Per-topic retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

interface Entry extends StoredEvent {
  readonly n: number;
  deleted: boolean;
}

interface TopicLog {
  entries: Entry[];
  first: number;
  evictedThrough: number;
}

/**
 * History kept in process memory: fast, and gone on restart (clients resuming with an id from
 * before the restart get a `reset`, because every store instance has its own id epoch).
 *
 * Events live in one position-ordered log with a per-topic queue for retention; ids are found
 * through a `Map`, and reads binary-search the log, then walk it in chunks, yielding between
 * them. Topics that lost events sit in a segment trie ({@link TopicTrie}) with their eviction
 * watermarks, so a wildcard reader's truncation check visits only the matching branches. A topic whose history
 * retention emptied is forgotten (see {@link PrunedTopics}).
 */
export class MemoryStore implements HistoryStore {
  readonly kind = 'memory';
  private readonly epoch = newEpoch();
  private readonly policy: RetentionPolicy;
  private readonly now: () => number;
  private log: Entry[] = [];
  private logDeleted = 0;
  private lastPos = 0;
  private readonly byId = new Map<string, Entry>();
  private readonly topics = new Map<string, TopicLog>();
  /**
   * The topics retention removed events from, with their watermarks. A topic that never lost an
   * event cannot make a read truncated, so it costs the trie nothing.
   */
  private readonly trie = new TopicTrie();
  private readonly pruned: PrunedTopics;
  private readonly sweep: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.policy = new RetentionPolicy(options.retention);
    this.pruned = new PrunedTopics(this.policy);
    this.now = options.now ?? Date.now;
    this.sweep = setInterval(() => {
      if (!this.closed) void this.pruneChunked();
    }, this.policy.sweepIntervalMs());
    this.sweep.unref();
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    this.assertOpen();
    const results: AppendResult[] = [];
    // Validate the whole batch before touching state so the append stays all-or-nothing.
    for (const e of events) {
      if (e.id !== undefined && parseGeneratedId(e.id)) {
        throw new HubError(
          400,
          'invalid-event',
          `The id "${e.id}" has the shape of an id the hub generates ("xxxxxx.123"); choose an id of another form.`,
        );
      }
    }
    const touched = new Set<TopicLog>();
    for (const e of events) {
      const existing = e.id === undefined ? undefined : this.byId.get(e.id);
      if (existing) {
        results.push({ event: existing, duplicate: true });
        continue;
      }
      const n = ++this.lastPos;
      const entry: Entry = {
        id: e.id ?? generatedId(this.epoch, n),
        pos: String(n),
        topic: e.topic,
        type: e.type,
        ts: e.ts,
        dataJson: e.dataJson,
        meta: e.meta,
        n,
        deleted: false,
      };
      this.log.push(entry);
      this.byId.set(entry.id, entry);
      let t = this.topics.get(e.topic);
      if (!t) {
        t = { entries: [], first: 0, evictedThrough: 0 };
        this.topics.set(e.topic, t);
      }
      t.entries.push(entry);
      touched.add(t);
      results.push({ event: entry, duplicate: false });
    }
    for (const t of touched) {
      const first = t.entries[t.first];
      if (first) this.trimTopic(t, this.policy.for(first.topic).maxEvents, 0);
    }
    this.compact();
    return results;
  }

  async resolve(lastEventId: string): Promise<ResumePoint> {
    this.assertOpen();
    const gen = parseGeneratedId(lastEventId);
    if (gen) {
      // A generated id keeps its meaning after its event is evicted: readAfter's truncation
      // check then decides whether anything the subscriber cares about was lost.
      if (gen.epoch === this.epoch && gen.pos <= this.lastPos) {
        return { kind: 'found', pos: String(gen.pos) };
      }
      return { kind: 'unknown' };
    }
    const e = this.byId.get(lastEventId);
    return e ? { kind: 'found', pos: e.pos } : { kind: 'unknown' };
  }

  async readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    this.assertOpen();
    const afterN = Number(after);
    if (!Number.isSafeInteger(afterN) || afterN < 0) {
      throw new RangeError(`Position "${after}" is not a position of this memory store.`);
    }
    // Nothing follows the head and no watermark lies beyond it: a fresh stream's read is free.
    if (afterN >= this.lastPos) return { events: [], truncated: false };
    const exact = new Set(filter.topics);
    const accepts = (topic: string): boolean =>
      exact.has(topic) || filter.patterns.some((p) => p.matches(topic));

    // Walk the log in chunks: a reader far behind on a busy hub must not hold the event loop.
    const events: StoredEvent[] = [];
    let n = afterN;
    for (;;) {
      let i = this.firstIndexAfter(n);
      const end = Math.min(this.log.length, i + CHUNK);
      for (; i < end && events.length < limit; i++) {
        const e = this.log[i] as Entry;
        if (!e.deleted && accepts(e.topic)) events.push(e);
        n = e.n;
      }
      if (events.length >= limit || i >= this.log.length) break;
      await nextTurn();
      if (this.closed) break;
    }
    // Checked after the walk: an eviction during it of an event the walk had not reached yet
    // has raised a watermark by now.
    const result = { events, truncated: this.truncatedAfter(afterN, exact, filter) };
    // A replay reads page after page; without a turn of the event loop between pages a long one
    // would hold everyone else until it finished.
    if (events.length > 0) await nextTurn();
    return result;
  }

  private truncatedAfter(afterN: number, exact: ReadonlySet<string>, filter: TopicFilter): boolean {
    for (const topic of exact) {
      const t = this.topics.get(topic);
      if (t && t.evictedThrough > afterN) return true;
    }
    for (const p of filter.patterns) if (this.trie.anyAbove(p, afterN)) return true;
    return this.pruned.mayHaveLost(filter, String(afterN));
  }

  async head(): Promise<string> {
    return String(this.lastPos);
  }

  idAt(pos: string): string {
    return generatedId(this.epoch, Number(pos));
  }

  async prune(): Promise<void> {
    this.assertOpen();
    await this.pruneChunked();
  }

  /** Number of topics with history: topics that age retention emptied are forgotten. */
  async countTopics(): Promise<number> {
    return this.topics.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweep);
  }

  /** Age retention over every topic, a chunk of topics per turn of the event loop. */
  private async pruneChunked(): Promise<void> {
    const now = this.now();
    let visited = 0;
    for (const [topic, t] of this.topics) {
      const limits = this.policy.for(topic);
      this.trimTopic(t, limits.maxEvents, now - limits.maxAgeMs);
      if (t.first >= t.entries.length) {
        // Retention emptied it: forget the topic, keeping its loss in the per-age watermark.
        this.topics.delete(topic);
        this.trie.delete(topic);
        this.pruned.record(topic, String(t.evictedThrough));
      }
      if (++visited % CHUNK === 0) {
        this.compact();
        await nextTurn();
        if (this.closed) return;
      }
    }
    this.compact();
  }

  /** Evicts the topic's oldest events while it holds more than `max` or they are older than `minTs`. */
  private trimTopic(t: TopicLog, max: number, minTs: number): void {
    let last: Entry | undefined;
    while (t.first < t.entries.length) {
      const e = t.entries[t.first] as Entry;
      if (t.entries.length - t.first <= max && e.ts >= minTs) break;
      e.deleted = true;
      this.logDeleted++;
      this.byId.delete(e.id);
      t.evictedThrough = e.n;
      t.first++;
      last = e;
    }
    if (last) this.trie.raise(last.topic, t.evictedThrough);
    if (t.first > 1024 && t.first * 2 > t.entries.length) {
      t.entries = t.entries.slice(t.first);
      t.first = 0;
    }
  }

  private compact(): void {
    if (this.logDeleted > 1024 && this.logDeleted * 2 > this.log.length) {
      this.log = this.log.filter((e) => !e.deleted);
      this.logDeleted = 0;
    }
  }

  private firstIndexAfter(n: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.log[mid] as Entry).n <= n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError(503, 'unavailable', 'The history store is closed.');
  }
}

/**
 * Creates an in-memory history store.
 * @see MemoryStore
 */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}
