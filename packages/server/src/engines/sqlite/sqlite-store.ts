import type { TopicPattern } from '@tidings/protocol';
import { HubError } from '../../core/errors.js';
import type { EventMeta, NewEvent, StoredEvent } from '../../core/stored-event.js';
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
import { DEFAULT_READ_CACHE_BYTES, ReadCache } from '../read-cache.js';
import { RetentionPolicy } from '../retention.js';
import { embeddedSqliteDriver } from './embedded-sqlite-driver.js';
import type { SqliteConnection, SqliteDriver, SqliteStatement } from './sqlite-driver.js';
import { ensureDirectoryOf } from './sqlite-file.js';

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. `":memory:"` for a throw-away store. */
  path: string;
  /** Per-topic retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /**
   * `"process"`: an acknowledged event survives the hub process being killed (WAL,
   * `synchronous=NORMAL`). `"power"`: it also survives power loss (`synchronous=FULL`), at a
   * cost in publish throughput.
   * @defaultValue "process"
   */
  durability?: 'process' | 'power' | undefined;
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
  /**
   * Most estimated bytes of read answers remembered between writes, so that a storm of clients
   * resuming from the same id costs one read. 0 turns remembering off (identical reads running
   * at the same time are still shared).
   * @defaultValue 33554432 (32 MiB)
   * @see ReadCache
   */
  readCacheBytes?: number | undefined;
  /**
   * The SQLite binding that opens the file.
   * @defaultValue the runtime's own: `better-sqlite3` on Node, `bun:sqlite` on Bun, `node:sqlite` on Deno
   * @see embeddedSqliteDriver
   */
  driver?: SqliteDriver | undefined;
}

/** One `append` call waiting for its group's commit. */
interface PendingAppend {
  readonly events: readonly NewEvent[];
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
  results: AppendResult[] | undefined;
  error: unknown;
}

interface TopicRow {
  topic: string;
  evicted_through: number;
}

interface PosTopic {
  pos: number;
  topic: string;
}

interface Row {
  pos: number;
  id: string | null;
  topic: string;
  type: string;
  ts: number;
  data: string;
  meta: string | null;
}

/**
 * `id` holds supplied ids only (a generated id is computed from `pos`), `publisher` the key that
 * scopes it: the unique index makes an id idempotent per (topic, id, publisher), and serves
 * resume lookups by (topic, id) for the topics a stream covers.
 */
const EVENTS_TABLE = `(
  pos       INTEGER PRIMARY KEY AUTOINCREMENT,
  id        TEXT,
  publisher TEXT,
  topic     TEXT NOT NULL,
  type      TEXT NOT NULL,
  ts        INTEGER NOT NULL,
  data      TEXT NOT NULL,
  meta      TEXT
)`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events ${EVENTS_TABLE};
CREATE INDEX IF NOT EXISTS events_topic_pos ON events(topic, pos);
CREATE UNIQUE INDEX IF NOT EXISTS events_topic_id ON events(topic, id, publisher) WHERE id IS NOT NULL;
CREATE TABLE IF NOT EXISTS topics (
  topic           TEXT PRIMARY KEY,
  count           INTEGER NOT NULL,
  evicted_through INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS topics_evicted ON topics(evicted_through, topic);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * Rebuilds the events table of a file written before supplied ids were scoped per publisher and
 * topic: that one had `id TEXT UNIQUE` (one id across the whole hub, which let anyone read or
 * pre-empt another's event by its id) and stored the old `<epoch>.<pos>` generated ids. Supplied
 * ids keep resuming; their publisher is unknown, so they no longer de-duplicate. Positions and
 * the autoincrement counter are kept. Runs once, in one transaction.
 */
function migrateGlobalIds(db: SqliteConnection): void {
  const cols = db.prepare('PRAGMA table_info(events)').all() as Array<{ name: string }>;
  if (cols.length === 0 || cols.some((c) => c.name === 'publisher')) return;
  db.transaction(() => {
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).get() as
      | { seq: number }
      | undefined;
    db.exec(`
      CREATE TABLE events_scoped ${EVENTS_TABLE};
      INSERT INTO events_scoped(pos, id, publisher, topic, type, ts, data, meta)
        SELECT pos,
               CASE WHEN id GLOB '[0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z].[0-9]*' THEN NULL ELSE id END,
               NULL, topic, type, ts, data, meta
        FROM events;
      DROP TABLE events;
      ALTER TABLE events_scoped RENAME TO events;
    `);
    if (seq) {
      db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'events'`).run();
      db.prepare(`INSERT INTO sqlite_sequence(name, seq) VALUES ('events', ?)`).run(seq.seq);
    }
  })();
}

/** Largest `IN (...)` list before a read falls back to scanning by position. */
const MAX_IN = 256;
/**
 * Rows one synchronous query of a long read or sweep touches before the store yields to the
 * event loop: about a millisecond of SQLite work.
 */
const CHUNK = 1024;
/**
 * Positions one indexed query covers: bounds what SQLite sorts or scans for it (a resume far
 * behind on busy topics would otherwise sort every later event of those topics in one call).
 */
const WINDOW = 4096;
/** Sorts after every topic (topics are printable ASCII). */
const AFTER_ALL_TOPICS = '\x7f';

function inArity(n: number): number {
  let a = 1;
  while (a < n) a *= 2;
  return a;
}

function padded(values: readonly string[], arity: number): string[] {
  const out = values.slice();
  while (out.length < arity) out.push(values[0] as string);
  return out;
}

/** The literal segments before a pattern's first wildcard, joined ("a/b"), or "" when it starts with one. */
function literalPrefix(p: TopicPattern): string {
  const lit: string[] = [];
  for (const s of p.segments) {
    if (s === '*' || s === '**') break;
    lit.push(s);
  }
  return lit.join('/');
}

/**
 * History in an embedded SQLite database (WAL, through the runtime's binding: see
 * {@link SqliteDriver}): the default store. Survives
 * `kill -9`: an event is acknowledged only after its transaction committed.
 *
 * Layout: one `events` table keyed by an autoincrement position (never reused, so positions
 * stay meaningful across restarts), a unique index on supplied ids for idempotency and resume,
 * an index on `(topic, pos)` for per-topic reads and retention, and a `topics` table holding each
 * topic's event count and the highest position retention removed from it (which is how a read
 * knows it would skip over lost events), indexed by that watermark too.
 *
 * Reads never walk the whole topic table. Exact topics and patterns with a few topics under
 * their literal prefix (`tenant/acme/*`) are read through the `(topic, pos)` index; a pattern
 * that starts with a wildcard (`**`, `*\/x`) or covers many topics is read by position range
 * and filtered, in chunks of `CHUNK` rows with a turn of the event loop between them, and
 * its truncation check visits only topics whose watermark lies after the resume point. A topic
 * whose history age retention emptied is deleted (see `PrunedTopics`).
 */
export class SqliteStore implements HistoryStore {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly db: SqliteConnection;
  private readonly ids: GeneratedIds;
  private readonly policy: RetentionPolicy;
  private readonly now: () => number;
  private readonly sweep: ReturnType<typeof setInterval>;
  private closed = false;
  private readonly stmt: ReturnType<SqliteStore['prepareAll']>;
  private readonly readCache = new Map<number, SqliteStatement>();
  private readonly topicsInCache = new Map<number, SqliteStatement>();
  private readonly idInCache = new Map<number, SqliteStatement>();
  /** Answers of readAfter since the history last changed, by question, bounded in bytes. */
  private readonly reads: ReadCache;
  /** SQLite's data_version when `reads` was filled: it moves when another connection commits. */
  private readsVersion = -1;
  private readonly pruned: PrunedTopics;
  /** The age sweep running now, if any: a second caller waits for it instead of racing it. */
  private pruning: Promise<void> | undefined;
  private readonly appendTx: (events: readonly NewEvent[]) => AppendResult[];
  private readonly groupTx: (group: readonly PendingAppend[]) => void;
  /** Appends waiting for this turn's group commit, in call order. */
  private group: PendingAppend[] = [];

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.policy = new RetentionPolicy(options.retention);
    this.pruned = new PrunedTopics(this.policy);
    this.reads = new ReadCache(options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES);
    this.now = options.now ?? Date.now;
    try {
      ensureDirectoryOf(options.path);
      this.db = (options.driver ?? embeddedSqliteDriver()).open(options.path);
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`);
      this.db.exec('PRAGMA busy_timeout = 5000');
      migrateGlobalIds(this.db);
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new Error(
        `Cannot open the SQLite history at "${options.path}": ${(e as Error).message}. Check that the directory is writable, or keep history in memory (--memory).`,
        { cause: e },
      );
    }
    this.stmt = this.prepareAll();
    // One secret per database file: ids stay valid across restarts, and mean nothing elsewhere.
    const row = this.stmt.getIdKey.get() as { value: string } | undefined;
    if (row) {
      this.ids = new GeneratedIds(row.value);
    } else {
      this.ids = GeneratedIds.create();
      this.stmt.setIdKey.run(this.ids.exportKey());
    }
    const pruned = this.stmt.getKv.get('pruned') as { value: string } | undefined;
    if (pruned) this.pruned.load(JSON.parse(pruned.value) as Array<[number, string]>);
    this.appendTx = this.db.transaction((events: readonly NewEvent[]) => this.appendInTx(events));
    this.groupTx = this.db.transaction((group: readonly PendingAppend[]) => {
      for (const p of group) {
        try {
          // Nested in the group's transaction this is a savepoint: a call that fails is undone
          // alone, the others still commit.
          p.results = this.appendTx(p.events);
        } catch (e) {
          p.error = e;
        }
      }
    });
    this.sweep = setInterval(() => {
      // A sweep that fails (the file is busy, the disk full) leaves history as it was; the next
      // one tries again, and `prune()` callers see the error themselves.
      if (!this.closed) this.pruneChunked().catch(() => {});
    }, this.policy.sweepIntervalMs());
    this.sweep.unref();
  }

  private prepareAll() {
    const db = this.db;
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

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    this.assertOpen();
    for (const e of events) {
      if (e.id !== undefined && hasGeneratedShape(e.id)) {
        throw new HubError(400, 'invalid-event', generatedShapeMessage(e.id));
      }
    }
    // Group commit: every append of this turn of the event loop shares one transaction (one
    // WAL commit), each call still atomic on its own and answered only after the commit.
    return new Promise<AppendResult[]>((resolve, reject) => {
      if (this.group.length === 0) setImmediate(() => this.commitGroup());
      this.group.push({ events, resolve, reject, results: undefined, error: undefined });
    });
  }

  private commitGroup(): void {
    const group = this.group;
    this.group = [];
    if (group.length === 0) return;
    if (this.closed) {
      for (const p of group) p.reject(new HubError(503, 'unavailable', 'The history store is closed.'));
      return;
    }
    // Whether or not the commit succeeds, remembered reads may no longer be the history's.
    this.reads.clear();
    try {
      this.groupTx(group);
    } catch (e) {
      // The commit itself failed: nothing of the group is durable, so no call may succeed.
      for (const p of group) p.reject(e);
      return;
    }
    for (const p of group) {
      if (p.results) p.resolve(p.results);
      else p.reject(p.error);
    }
  }

  private appendInTx(events: readonly NewEvent[]): AppendResult[] {
    const results: AppendResult[] = [];
    const added = new Map<string, number>();
    for (const e of events) {
      const publisher = e.id === undefined ? null : (e.publisher ?? '');
      if (e.id !== undefined) {
        // Only the same publisher's event on the same topic is a duplicate.
        const existing = this.stmt.ownById.get(e.topic, e.id, publisher) as Row | undefined;
        if (existing) {
          results.push({ event: this.toStored(existing), duplicate: true });
          continue;
        }
      }
      const metaJson = e.meta === undefined ? null : JSON.stringify(e.meta);
      const { pos } = this.stmt.insert.get(
        e.id ?? null,
        publisher,
        e.topic,
        e.type,
        e.ts,
        e.dataJson,
        metaJson,
      ) as {
        pos: number;
      };
      const id = e.id ?? this.ids.encode(String(pos));
      results.push({
        event: {
          id,
          pos: String(pos),
          topic: e.topic,
          type: e.type,
          ts: e.ts,
          dataJson: e.dataJson,
          meta: e.meta,
        },
        duplicate: false,
      });
      added.set(e.topic, (added.get(e.topic) ?? 0) + 1);
    }
    for (const [topic, n] of added) {
      const { count } = this.stmt.bumpTopic.get(topic, n) as { count: number };
      const max = this.policy.for(topic).maxEvents;
      if (count > max) {
        const cut = this.stmt.nthOfTopic.get(topic, count - max - 1) as { pos: number } | undefined;
        if (cut) this.evictThrough(topic, cut.pos);
      }
    }
    return results;
  }

  /** Removes the topic's events up to `pos`; returns its new watermark when that emptied it. */
  private evictThrough(topic: string, pos: number): number | undefined {
    const { m } = this.stmt.maxPosOfTopicThrough.get(topic, pos) as { m: number | null };
    if (m === null) return undefined;
    const { changes } = this.stmt.deleteTopicThrough.run(topic, pos);
    const left = this.stmt.markEvicted.get(changes, m, topic) as
      | { count: number; evicted_through: number }
      | undefined;
    return left && left.count <= 0 ? left.evicted_through : undefined;
  }

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    this.assertOpen();
    const pos = this.ids.decode(lastEventId);
    if (pos !== undefined) {
      // A generated id keeps its meaning after eviction; readAfter decides whether anything
      // the subscriber cares about was lost.
      const n = Number(pos);
      return Number.isSafeInteger(n) && n <= this.headNum() ? { kind: 'found', pos } : { kind: 'unknown' };
    }
    if (hasGeneratedShape(lastEventId)) return { kind: 'unknown' };
    // Looked up on the covered topics only (by the (topic, id) index), so what other topics hold
    // under this id changes neither the answer nor the work done.
    const rows: Row[] = [];
    for await (const chunk of this.coveredTopicChunks(filter)) {
      const arity = inArity(chunk.length);
      rows.push(...(this.idInStmt(arity).all(lastEventId, ...padded(chunk, arity), MAX_ID_MATCHES) as Row[]));
    }
    if (rows.length === 0) return { kind: 'unknown' };
    rows.sort((a, b) => a.pos - b.pos);
    return { kind: 'matches', events: this.toStoredAll(rows.slice(0, MAX_ID_MATCHES)) };
  }

  /**
   * The topics a filter covers, at most {@link MAX_IN} at a time: through `indexedTopics` when that
   * is cheap, else (a pattern with a wide or no literal prefix) by walking the topic table in name
   * order, `CHUNK` rows per turn of the event loop, so the cost follows the number of topics
   * and no request holds the loop for long.
   */
  private async *coveredTopicChunks(filter: TopicFilter): AsyncGenerator<string[]> {
    const indexed = this.indexedTopics(filter);
    if (indexed !== undefined) {
      const topics = [...indexed.keys()];
      for (let i = 0; i < topics.length; i += MAX_IN) yield topics.slice(i, i + MAX_IN);
      return;
    }
    const exact = new Set(filter.topics);
    for (let i = 0; i < filter.topics.length; i += MAX_IN) yield filter.topics.slice(i, i + MAX_IN);
    let after = '';
    for (;;) {
      const rows = this.stmt.topicsUnder.all(after, AFTER_ALL_TOPICS, CHUNK) as TopicRow[];
      const picked = rows
        .filter((r) => !exact.has(r.topic) && filter.patterns.some((p) => p.matches(r.topic)))
        .map((r) => r.topic);
      for (let i = 0; i < picked.length; i += MAX_IN) yield picked.slice(i, i + MAX_IN);
      const last = rows[rows.length - 1];
      if (!last || rows.length < CHUNK) return;
      after = last.topic;
      await nextTurn();
      this.assertOpen();
    }
  }

  async readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    this.assertOpen();
    const afterN = Number(after);
    if (!Number.isSafeInteger(afterN) || afterN < 0) {
      throw new RangeError(`Position "${after}" is not a position of this SQLite store.`);
    }
    // A restarted hub meets thousands of clients resuming from the same id on the same topics:
    // answer the same question once until the history changes (here, or in another process).
    const version = (this.stmt.dataVersion.get() as { data_version: number }).data_version;
    if (version !== this.readsVersion) {
      this.reads.clear();
      this.readsVersion = version;
    }
    // Nothing follows the head and no watermark lies beyond it: a fresh stream's read is free,
    // whatever its patterns.
    if (afterN >= this.headNum()) return { events: [], truncated: false };
    const key = `${afterN}\u0000${limit}\u0000${filter.topics.join('\u0001')}\u0000${filter.patterns.map((p) => p.source).join('\u0001')}`;
    const result = await this.reads.read(key, () => {
      const covered = this.indexedTopics(filter);
      return covered && covered.size <= MAX_IN
        ? this.readByIndex(afterN, filter, covered, limit)
        : this.readByScan(afterN, filter, limit);
    });
    // A replay reads page after page; without a turn of the event loop between pages a long
    // one (or a storm served from memory) would hold everyone else until it finished.
    if (result.events.length > 0) await nextTurn();
    return result;
  }

  /** Number of topics with history: topics that age retention emptied are deleted. */
  async countTopics(): Promise<number> {
    this.assertOpen();
    return (this.stmt.countTopics.get() as { n: number }).n;
  }

  /**
   * The topics the filter covers with their watermarks, when that is cheap to know: exact topics,
   * and patterns with a literal prefix holding at most {@link MAX_IN} topics. Undefined otherwise.
   */
  private indexedTopics(filter: TopicFilter): Map<string, number> | undefined {
    const covered = new Map<string, number>();
    for (let i = 0; i < filter.topics.length; i += MAX_IN) {
      const chunk = filter.topics.slice(i, i + MAX_IN);
      const arity = inArity(chunk.length);
      const rows = this.topicsInStmt(arity).all(...padded(chunk, arity)) as TopicRow[];
      for (const r of rows) covered.set(r.topic, r.evicted_through);
    }
    for (const t of filter.topics) if (!covered.has(t)) covered.set(t, 0);
    for (const p of filter.patterns) {
      const prefix = literalPrefix(p);
      const room = MAX_IN - covered.size;
      if (!prefix || room < 1) return undefined;
      const rows = this.stmt.topicsUnder.all(
        `${prefix}/`,
        `${prefix}/${AFTER_ALL_TOPICS}`,
        room + 1,
      ) as TopicRow[];
      if (rows.length > room) return undefined;
      rows.push(...(this.topicsInStmt(1).all(prefix) as TopicRow[]));
      for (const r of rows) if (p.matches(r.topic)) covered.set(r.topic, r.evicted_through);
    }
    return covered;
  }

  /**
   * Reads the covered topics through the `(topic, pos)` index, {@link WINDOW} positions per
   * query, with a turn of the event loop whenever the read has held it for a couple of ms.
   */
  private async readByIndex(
    afterN: number,
    filter: TopicFilter,
    covered: Map<string, number>,
    limit: number,
  ): Promise<ReadResult> {
    const events: StoredEvent[] = [];
    if (covered.size > 0) {
      const topics = [...covered.keys()];
      const arity = inArity(topics.length);
      const stmt = this.readStmt(arity);
      const args = padded(topics, arity);
      let from = afterN;
      let since = performance.now();
      for (;;) {
        const head = this.headNum();
        const to = Math.min(head, from + WINDOW);
        for (const r of stmt.all(...args, from, to, limit - events.length) as Row[])
          events.push(this.toStored(r));
        if (events.length >= limit || to >= head) break;
        from = to;
        if (performance.now() - since > 2) {
          await nextTurn();
          this.assertOpen();
          since = performance.now();
        }
      }
    }
    // Checked after the read, on the watermarks as they are now (they only grow).
    return {
      events,
      truncated: await this.truncatedAfter(afterN, { topics: [...covered.keys()], patterns: [] }, filter),
    };
  }

  /**
   * Walks the log by position from `afterN` and keeps what the filter accepts, `CHUNK` rows
   * per turn of the event loop, so its cost follows the events after the resume point, never the
   * number of topics, and no chunk holds the loop for long.
   */
  private async readByScan(afterN: number, filter: TopicFilter, limit: number): Promise<ReadResult> {
    const exact = new Set(filter.topics);
    const accepts = (topic: string): boolean =>
      exact.has(topic) || filter.patterns.some((p) => p.matches(topic));
    const events: StoredEvent[] = [];
    let cursor = afterN;
    for (;;) {
      const rows = this.stmt.scanAfter.all(cursor, CHUNK) as PosTopic[];
      for (const r of rows) {
        cursor = r.pos;
        if (!accepts(r.topic)) continue;
        const row = this.stmt.byPos.get(r.pos) as Row | undefined;
        if (row) events.push(this.toStored(row));
        if (events.length >= limit) break;
      }
      if (events.length >= limit || rows.length < CHUNK) break;
      await nextTurn();
      this.assertOpen();
    }
    // Checked after the walk: an eviction during it of an event the walk had not reached yet has
    // raised a watermark by now, and watermarks only grow.
    return { events, truncated: await this.truncatedAfter(afterN, filter) };
  }

  /**
   * Whether retention removed an event after `afterN` from a topic the filter covers. Patterns
   * are checked against the topics whose watermark lies after `afterN` only, found through the
   * watermark index, a chunk per turn.
   */
  private async truncatedAfter(
    afterN: number,
    filter: TopicFilter,
    asked: TopicFilter = filter,
  ): Promise<boolean> {
    for (let i = 0; i < filter.topics.length; i += MAX_IN) {
      const chunk = filter.topics.slice(i, i + MAX_IN);
      const arity = inArity(chunk.length);
      for (const r of this.topicsInStmt(arity).all(...padded(chunk, arity)) as TopicRow[]) {
        if (r.evicted_through > afterN) return true;
      }
    }
    if (filter.patterns.length > 0) {
      let ev = afterN;
      let topic = AFTER_ALL_TOPICS;
      for (;;) {
        const rows = this.stmt.evictedAfter.all(ev, topic, CHUNK) as TopicRow[];
        for (const r of rows) if (filter.patterns.some((p) => p.matches(r.topic))) return true;
        const last = rows[rows.length - 1];
        if (!last || rows.length < CHUNK) break;
        ev = last.evicted_through;
        topic = last.topic;
        await nextTurn();
        this.assertOpen();
      }
    }
    return this.pruned.mayHaveLost(asked, String(afterN));
  }

  async head(): Promise<string> {
    this.assertOpen();
    return String(this.headNum());
  }

  idAt(pos: string): string {
    return this.ids.resumeId(pos);
  }

  /** The codec of this file's generated ids (workers of a primary that owns it use the same key). */
  get generatedIds(): GeneratedIds {
    return this.ids;
  }

  async prune(): Promise<void> {
    this.assertOpen();
    await this.pruneChunked();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends accepted before close still commit (their callers are waiting for the answer).
    this.commitGroup();
    this.closed = true;
    clearInterval(this.sweep);
    this.db.close();
  }

  private headNum(): number {
    const row = this.stmt.head.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** The highest position whose event is older than `cutoffTs`, found by binary search (ts grows with pos). */
  private lastPosBefore(cutoffTs: number): number {
    const min = (this.stmt.minPos.get() as { m: number | null }).m;
    if (min === null) return 0;
    let lo = min;
    let hi = this.headNum();
    let best = 0;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = this.stmt.firstAtOrAfter.get(mid) as { pos: number; ts: number } | undefined;
      if (!row) {
        hi = mid - 1;
        continue;
      }
      if (row.ts < cutoffTs) {
        best = row.pos;
        lo = row.pos + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }

  private pruneChunked(): Promise<void> {
    this.pruning ??= this.pruneByAge().finally(() => {
      this.pruning = undefined;
    });
    return this.pruning;
  }

  /**
   * Age retention: walks the events older than the widest cut in position order, a chunk per
   * transaction and turn of the event loop, and cuts each topic met at its own age limit. A topic
   * left without events is deleted, its watermark kept in `PrunedTopics`.
   */
  private async pruneByAge(): Promise<void> {
    const now = this.now();
    const cuts = new Map<number, number>();
    for (const age of this.policy.ageLimits()) cuts.set(age, this.lastPosBefore(now - age));
    const widest = Math.max(0, ...cuts.values());
    let cursor = 0;
    while (cursor < widest && !this.closed) {
      const rows = this.stmt.topicsBetween.all(cursor, widest, CHUNK) as PosTopic[];
      const last = rows[rows.length - 1];
      if (!last) return;
      cursor = last.pos;
      const topics = new Set(rows.map((r) => r.topic));
      this.reads.clear();
      this.db.transaction(() => {
        let emptied = false;
        for (const topic of topics) {
          const cut = cuts.get(this.policy.for(topic).maxAgeMs) ?? 0;
          if (cut <= 0) continue;
          const watermark = this.evictThrough(topic, cut);
          if (watermark === undefined) continue;
          this.stmt.deleteTopic.run(topic);
          this.pruned.record(topic, String(watermark));
          emptied = true;
        }
        if (emptied) this.stmt.putKv.run('pruned', JSON.stringify(this.pruned.entries()));
      })();
      if (rows.length < CHUNK) return;
      await nextTurn();
    }
  }

  private readStmt(arity: number): SqliteStatement {
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

  private topicsInStmt(arity: number): SqliteStatement {
    let s = this.topicsInCache.get(arity);
    if (!s) {
      const marks = new Array(arity).fill('?').join(',');
      s = this.db.prepare(`SELECT topic, evicted_through FROM topics WHERE topic IN (${marks})`);
      this.topicsInCache.set(arity, s);
    }
    return s;
  }

  private idInStmt(arity: number): SqliteStatement {
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

  /** Rows to events, the generated ids of a page computed in one cipher call. */
  private toStoredAll(rows: readonly Row[]): StoredEvent[] {
    const generated = rows.filter((r) => r.id === null).map((r) => String(r.pos));
    const ids = this.ids.encodeAll(generated);
    let next = 0;
    return rows.map((r) => this.toStored(r, r.id === null ? ids[next++] : undefined));
  }

  private toStored(r: Row, generatedId?: string): StoredEvent {
    return {
      id: r.id ?? generatedId ?? this.ids.encode(String(r.pos)),
      pos: String(r.pos),
      topic: r.topic,
      type: r.type,
      ts: r.ts,
      dataJson: r.data,
      meta: r.meta === null ? undefined : (JSON.parse(r.meta) as EventMeta),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError(503, 'unavailable', 'The history store is closed.');
  }
}

/**
 * Creates the embedded SQLite history store.
 * @see SqliteStore
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
