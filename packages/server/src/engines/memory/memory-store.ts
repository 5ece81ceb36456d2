import { HubError } from '../../core/errors.js';
import type { NewEvent, StoredEvent } from '../../core/stored-event.js';
import { GeneratedIds, generatedShapeMessage, hasGeneratedShape } from '../generated-ids.js';
import {
  type AppendResult,
  type HistoryStore,
  MAX_ID_MATCHES,
  type ReadResult,
  type ResumePoint,
  type RetentionOptions,
  type TopicFilter,
} from '../history-store.js';
import { nextTurn } from '../next-turn.js';
import { PrunedTopics } from '../pruned-topics.js';
import { RetentionPolicy } from '../retention.js';
import { TopicTrie } from '../topic-trie.js';

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
  /** Whether the id was supplied (so it is in the id index). */
  readonly supplied: boolean;
  deleted: boolean;
}

/** An event with a supplied id in the index, with the publisher that scopes the id. */
interface Owned {
  readonly owner: string;
  readonly entry: Entry;
}

/** The key of a supplied id on a topic (neither a topic nor an id can contain a line break). */
function topicIdKey(topic: string, id: string): string {
  return `${topic}\n${id}`;
}

interface TopicLog {
  entries: Entry[];
  first: number;
  evictedThrough: number;
}

/**
 * History kept in process memory: fast, and gone on restart (clients resuming with an id from
 * before the restart get a `reset`, because every store instance has its own id key).
 *
 * Events live in one position-ordered log with a per-topic queue for retention; supplied ids are
 * found through a `Map` keyed by topic and id, generated ids decode to their position
 * ({@link GeneratedIds}), and reads binary-search the log, then walk it in chunks, yielding
 * between them. Topics that lost events sit in a segment trie (`TopicTrie`) with their
 * eviction watermarks, so a wildcard reader's truncation check visits only the matching branches.
 * A topic whose history retention emptied is forgotten (see `PrunedTopics`).
 */
export class MemoryStore implements HistoryStore {
  readonly kind = 'memory';
  private readonly ids = GeneratedIds.create();
  private readonly policy: RetentionPolicy;
  private readonly now: () => number;
  private log: Entry[] = [];
  private logDeleted = 0;
  private lastPos = 0;
  /** Retained events with a supplied id, by topic and id (several publishers may share one). */
  private readonly byTopicId = new Map<string, Owned[]>();
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
      if (e.id !== undefined && hasGeneratedShape(e.id)) {
        throw new HubError(400, 'invalid-event', generatedShapeMessage(e.id));
      }
    }
    const touched = new Set<TopicLog>();
    for (const e of events) {
      const owner = e.id === undefined ? undefined : (e.publisher ?? '');
      const key = e.id === undefined ? undefined : topicIdKey(e.topic, e.id);
      const same = key === undefined ? undefined : this.byTopicId.get(key);
      // Only the same publisher's event on the same topic is a duplicate: whatever others stored
      // under this id is neither returned nor allowed to suppress this one.
      const existing = same?.find((x) => x.owner === owner);
      if (existing) {
        results.push({ event: existing.entry, duplicate: true });
        continue;
      }
      const n = ++this.lastPos;
      const entry: Entry = {
        id: e.id ?? this.ids.encode(String(n)),
        supplied: e.id !== undefined,
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
      if (key !== undefined && owner !== undefined) {
        if (same) same.push({ owner, entry });
        else this.byTopicId.set(key, [{ owner, entry }]);
      }
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

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    this.assertOpen();
    const pos = this.ids.decode(lastEventId);
    if (pos !== undefined) {
      // A generated id keeps its meaning after its event is evicted: readAfter's truncation
      // check then decides whether anything the subscriber cares about was lost.
      const n = Number(pos);
      return Number.isSafeInteger(n) && n <= this.lastPos ? { kind: 'found', pos } : { kind: 'unknown' };
    }
    if (hasGeneratedShape(lastEventId)) return { kind: 'unknown' };
    // Only the topics the stream covers are looked at: what other topics hold under this id
    // changes neither the answer nor the work done.
    const found: Entry[] = [];
    const look = (topic: string) => {
      const same = this.byTopicId.get(topicIdKey(topic, lastEventId));
      if (same) for (const x of same) found.push(x.entry);
    };
    const exact = new Set(filter.topics);
    for (const topic of exact) look(topic);
    if (filter.patterns.length > 0) {
      // A wide pattern visits every topic: a chunk per turn of the event loop, so no resume
      // holds it for long.
      let seen = 0;
      for (const topic of [...this.topics.keys()]) {
        if (!exact.has(topic) && filter.patterns.some((p) => p.matches(topic))) look(topic);
        if (++seen % CHUNK === 0) {
          await nextTurn();
          this.assertOpen();
        }
      }
    }
    if (found.length === 0) return { kind: 'unknown' };
    found.sort((a, b) => a.n - b.n);
    return { kind: 'matches', events: found.slice(0, MAX_ID_MATCHES) };
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
    return this.ids.resumeId(pos);
  }

  /** The codec of this store's generated ids (workers of a primary that owns it use the same key). */
  get generatedIds(): GeneratedIds {
    return this.ids;
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
      if (e.supplied) this.forgetId(e);
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

  /** Drops an evicted event from the supplied-id index. */
  private forgetId(e: Entry): void {
    const key = topicIdKey(e.topic, e.id);
    const same = this.byTopicId.get(key);
    if (!same) return;
    const rest = same.filter((x) => x.entry !== e);
    if (rest.length === 0) this.byTopicId.delete(key);
    else this.byTopicId.set(key, rest);
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
