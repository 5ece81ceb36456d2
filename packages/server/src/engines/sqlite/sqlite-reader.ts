import type { TopicPattern } from '@tidings/protocol';
import type { StoredEvent } from '../../core/stored-event.js';
import type { GeneratedIds } from '../generated-ids.js';
import { MAX_ID_MATCHES, type ReadResult, type TopicFilter } from '../history-store.js';
import { nextTurn } from '../next-turn.js';
import type { PrunedTopics } from '../pruned-topics.js';
import { type PosTopic, type Row, type TopicRow, toStored, toStoredAll } from './sqlite-rows.js';
import {
  CHUNK,
  type HistoryStatements,
  headOf,
  inArity,
  MAX_IN,
  padded,
  type StatementsByArity,
} from './sqlite-statements.js';

/**
 * Positions one indexed query covers: bounds what SQLite sorts or scans for it (a resume far
 * behind on busy topics would otherwise sort every later event of those topics in one call).
 */
const WINDOW = 4096;
/** Sorts after every topic (topics are printable ASCII). */
const AFTER_ALL_TOPICS = '\x7f';

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
 * Reads of the SQLite history. Reads never walk the whole topic table. Exact topics and
 * patterns with a few topics under their literal prefix (`tenant/acme/*`) are read through the
 * `(topic, pos)` index; a pattern that starts with a wildcard (`**`, `*\/x`) or covers many
 * topics is read by position range and filtered, in chunks of `CHUNK` rows with a turn of the
 * event loop between them, and its truncation check visits only topics whose watermark lies
 * after the resume point.
 */
export class SqliteReader {
  constructor(
    private readonly stmt: HistoryStatements,
    private readonly byArity: StatementsByArity,
    private readonly ids: GeneratedIds,
    private readonly pruned: PrunedTopics,
    private readonly assertOpen: () => void,
  ) {}

  /**
   * The events a supplied id names on the topics the filter covers, oldest first, at most
   * {@link MAX_ID_MATCHES}. Looked up on the covered topics only (by the (topic, id) index), so
   * what other topics hold under this id changes neither the answer nor the work done.
   */
  async matchesOf(lastEventId: string, filter: TopicFilter): Promise<StoredEvent[]> {
    const rows: Row[] = [];
    for await (const chunk of this.coveredTopicChunks(filter)) {
      const arity = inArity(chunk.length);
      rows.push(
        ...(this.byArity.idIn(arity).all(lastEventId, ...padded(chunk, arity), MAX_ID_MATCHES) as Row[]),
      );
    }
    rows.sort((a, b) => a.pos - b.pos);
    return toStoredAll(this.ids, rows.slice(0, MAX_ID_MATCHES));
  }

  /**
   * The topics a filter covers, at most {@link MAX_IN} at a time: through `indexedTopics` when that
   * is cheap, else (a pattern with a wide or no literal prefix) by walking the topic table in name
   * order, `CHUNK` rows per turn of the event loop, so the cost follows the number of topics
   * and no request holds the loop for long.
   */
  async *coveredTopicChunks(filter: TopicFilter): AsyncGenerator<string[]> {
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

  /**
   * The topics the filter covers with their watermarks, when that is cheap to know: exact topics,
   * and patterns with a literal prefix holding at most {@link MAX_IN} topics. Undefined otherwise.
   */
  indexedTopics(filter: TopicFilter): Map<string, number> | undefined {
    const covered = new Map<string, number>();
    for (let i = 0; i < filter.topics.length; i += MAX_IN) {
      const chunk = filter.topics.slice(i, i + MAX_IN);
      const arity = inArity(chunk.length);
      const rows = this.byArity.topicsIn(arity).all(...padded(chunk, arity)) as TopicRow[];
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
      rows.push(...(this.byArity.topicsIn(1).all(prefix) as TopicRow[]));
      for (const r of rows) if (p.matches(r.topic)) covered.set(r.topic, r.evicted_through);
    }
    return covered;
  }

  /**
   * Reads the covered topics through the `(topic, pos)` index, {@link WINDOW} positions per
   * query, with a turn of the event loop whenever the read has held it for a couple of ms.
   */
  async readByIndex(
    afterN: number,
    filter: TopicFilter,
    covered: Map<string, number>,
    limit: number,
  ): Promise<ReadResult> {
    const events: StoredEvent[] = [];
    if (covered.size > 0) {
      const topics = [...covered.keys()];
      const arity = inArity(topics.length);
      const stmt = this.byArity.read(arity);
      const args = padded(topics, arity);
      let from = afterN;
      let since = performance.now();
      for (;;) {
        const head = headOf(this.stmt);
        const to = Math.min(head, from + WINDOW);
        for (const r of stmt.all(...args, from, to, limit - events.length) as Row[])
          events.push(toStored(this.ids, r));
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
  async readByScan(afterN: number, filter: TopicFilter, limit: number): Promise<ReadResult> {
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
        if (row) events.push(toStored(this.ids, row));
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
  async truncatedAfter(afterN: number, filter: TopicFilter, asked: TopicFilter = filter): Promise<boolean> {
    for (let i = 0; i < filter.topics.length; i += MAX_IN) {
      const chunk = filter.topics.slice(i, i + MAX_IN);
      const arity = inArity(chunk.length);
      for (const r of this.byArity.topicsIn(arity).all(...padded(chunk, arity)) as TopicRow[]) {
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
}
