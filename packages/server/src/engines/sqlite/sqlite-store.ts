import { HubError } from '../../core/errors.js';
import type { NewEvent } from '../../core/stored-event.js';
import { GeneratedIds, generatedShapeMessage, hasGeneratedShape } from '../generated-ids.js';
import type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  RetentionOptions,
  TopicFilter,
} from '../history-store.js';
import { nextTurn } from '../next-turn.js';
import { PrunedTopics } from '../pruned-topics.js';
import { DEFAULT_READ_CACHE_BYTES, ReadCache } from '../read-cache.js';
import { RetentionPolicy } from '../retention.js';
import { AgeSweep } from './sqlite-age-sweep.js';
import type { SqliteConnection, SqliteDriver } from './sqlite-driver.js';
import { GroupCommit } from './sqlite-group-commit.js';
import { SqliteReader } from './sqlite-reader.js';
import { openHistoryDatabase } from './sqlite-schema.js';
import {
  type HistoryStatements,
  headOf,
  MAX_IN,
  prepareHistoryStatements,
  StatementsByArity,
} from './sqlite-statements.js';

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

/**
 * History in an embedded SQLite database (WAL, through the runtime's binding: see
 * {@link SqliteDriver}): the default store. Survives `kill -9`: an event is acknowledged only
 * after its transaction committed.
 *
 * Layout: one `events` table keyed by an autoincrement position (never reused, so positions
 * stay meaningful across restarts), a unique index on supplied ids for idempotency and resume,
 * an index on `(topic, pos)` for per-topic reads and retention, and a `topics` table holding each
 * topic's event count and the highest position retention removed from it (which is how a read
 * knows it would skip over lost events), indexed by that watermark too (`sqlite-schema.ts`).
 *
 * Appends of one turn of the event loop share one commit (`GroupCommit`); reads go through the
 * indexes or scan by position in chunks (`SqliteReader`); age retention sweeps in chunks
 * (`AgeSweep`). A topic whose history age retention emptied is deleted (see `PrunedTopics`).
 */
export class SqliteStore implements HistoryStore {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly db: SqliteConnection;
  private readonly ids: GeneratedIds;
  private readonly policy: RetentionPolicy;
  private readonly sweep: ReturnType<typeof setInterval>;
  private closed = false;
  private readonly stmt: HistoryStatements;
  /** Answers of readAfter since the history last changed, by question, bounded in bytes. */
  private readonly reads: ReadCache;
  /** SQLite's data_version when `reads` was filled: it moves when another connection commits. */
  private readsVersion = -1;
  private readonly pruned: PrunedTopics;
  private readonly reader: SqliteReader;
  private readonly commits: GroupCommit;
  private readonly ageSweep: AgeSweep;

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.policy = new RetentionPolicy(options.retention);
    this.pruned = new PrunedTopics(this.policy);
    this.reads = new ReadCache(options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES);
    this.db = openHistoryDatabase(options);
    this.stmt = prepareHistoryStatements(this.db);
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
    const isClosed = () => this.closed;
    this.reader = new SqliteReader(this.stmt, new StatementsByArity(this.db), this.ids, this.pruned, () =>
      this.assertOpen(),
    );
    this.commits = new GroupCommit(this.db, this.stmt, this.ids, this.policy, this.reads, isClosed);
    const now = options.now ?? Date.now;
    this.ageSweep = new AgeSweep(this.db, this.stmt, this.policy, this.pruned, this.reads, now, isClosed);
    this.sweep = setInterval(() => {
      // A sweep that fails (the file is busy, the disk full) leaves history as it was; the next
      // one tries again, and `prune()` callers see the error themselves.
      if (!this.closed) this.ageSweep.run().catch(() => {});
    }, this.policy.sweepIntervalMs());
    this.sweep.unref();
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    this.assertOpen();
    for (const e of events) {
      if (e.id !== undefined && hasGeneratedShape(e.id)) {
        throw new HubError(400, 'invalid-event', generatedShapeMessage(e.id));
      }
    }
    return this.commits.append(events);
  }

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    this.assertOpen();
    const pos = this.ids.decode(lastEventId);
    if (pos !== undefined) {
      // A generated id keeps its meaning after eviction; readAfter decides whether anything
      // the subscriber cares about was lost.
      const n = Number(pos);
      return Number.isSafeInteger(n) && n <= headOf(this.stmt) ? { kind: 'found', pos } : { kind: 'unknown' };
    }
    if (hasGeneratedShape(lastEventId)) return { kind: 'unknown' };
    const events = await this.reader.matchesOf(lastEventId, filter);
    return events.length === 0 ? { kind: 'unknown' } : { kind: 'matches', events };
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
    if (afterN >= headOf(this.stmt)) return { events: [], truncated: false };
    const key = `${afterN}\u0000${limit}\u0000${filter.topics.join('\u0001')}\u0000${filter.patterns.map((p) => p.source).join('\u0001')}`;
    const result = await this.reads.read(key, () => {
      const covered = this.reader.indexedTopics(filter);
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

  /** Reads through the `(topic, pos)` index: a method of the store, so tests can count reads. */
  private readByIndex(
    afterN: number,
    filter: TopicFilter,
    covered: Map<string, number>,
    limit: number,
  ): Promise<ReadResult> {
    return this.reader.readByIndex(afterN, filter, covered, limit);
  }

  /** Reads by position range, filtering: a method of the store, as `readByIndex` is. */
  private readByScan(afterN: number, filter: TopicFilter, limit: number): Promise<ReadResult> {
    return this.reader.readByScan(afterN, filter, limit);
  }

  async head(): Promise<string> {
    this.assertOpen();
    return String(headOf(this.stmt));
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
    await this.ageSweep.run();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends accepted before close still commit (their callers are waiting for the answer).
    this.commits.flush();
    this.closed = true;
    clearInterval(this.sweep);
    this.db.close();
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
