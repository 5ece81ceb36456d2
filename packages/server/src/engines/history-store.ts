import type { TopicPattern } from '@tidings/protocol';
import type { NewEvent, StoredEvent } from '../core/stored-event.js';
import type { GeneratedIds } from './generated-ids.js';

/** The result of appending one event. */
export interface AppendResult {
  /**
   * The stored event; for a duplicate, the original one, which the same publisher appended to
   * the same topic (see {@link NewEvent.publisher}).
   */
  readonly event: StoredEvent;
  /**
   * True when the same publisher already stored an event with this id on this topic: nothing was
   * appended and nothing must be delivered.
   */
  readonly duplicate: boolean;
}

/** Which topics a read covers: exact topics plus wildcard patterns. */
export interface TopicFilter {
  readonly topics: readonly string[];
  readonly patterns: readonly TopicPattern[];
}

/** Most events {@link HistoryStore.resolve} returns for one supplied id. */
export const MAX_ID_MATCHES = 256;

/** Where a `Last-Event-ID` points. */
export type ResumePoint =
  | {
      /** A generated id of this history (an event's, or a resume point): resume after `pos`. */
      readonly kind: 'found';
      readonly pos: string;
    }
  | {
      /**
       * A supplied id: the retained events carrying it on the topics the filter covers, oldest
       * first (at most {@link MAX_ID_MATCHES}). Supplied ids are unique only per publisher and
       * topic, so there may be several; the caller resumes after the first one the subscriber
       * may read (see {@link resumePosition}), and treats the id as unknown when there is none.
       */
      readonly kind: 'matches';
      readonly events: readonly StoredEvent[];
    }
  | {
      /** The id was never issued by this store, or was issued by an earlier, lost history. */
      readonly kind: 'unknown';
      /**
       * Set when the id belongs to a history the store lost (Redis restarted empty, say): every
       * event the store holds from this position on was appended after that loss, so it is newer
       * than anything the client saw. The subscriber gets `reset` (for what was lost) and then
       * every one of those events, so nothing acknowledged after the recovery is skipped.
       * Absent: `reset`, then live events only.
       */
      readonly replayFrom?: string | undefined;
    };

/**
 * Where to resume for `point`, or undefined when the subscriber must get `reset unknown-id`.
 *
 * For a supplied id that is the earliest matching event `accepts` lets through (a stream's
 * `accepts`: its grant, targeted delivery, Mercure privacy): an event the subscriber may not
 * read never answers, so a `Last-Event-ID` tells it nothing about ids on other topics, other
 * tenants or targeted events: the answer is the same as for an id that never existed. Resuming
 * after the earliest of several matches replays some events twice rather than skip any.
 */
export function resumePosition(
  point: ResumePoint,
  accepts: (ev: StoredEvent) => boolean,
): string | undefined {
  if (point.kind === 'found') return point.pos;
  if (point.kind === 'unknown') return undefined;
  return point.events.find(accepts)?.pos;
}

/** A page of history. */
export interface ReadResult {
  /** Matching events with position > `after`, oldest first, at most `limit`. */
  readonly events: readonly StoredEvent[];
  /**
   * True when retention already removed at least one event with position > `after` on a topic
   * the filter covers: a consumer resuming from `after` has a gap and must reset.
   */
  readonly truncated: boolean;
}

/** Retention rule for the topics a pattern matches. */
export interface RetentionRule {
  /** Topic pattern the rule applies to; the first matching rule wins. */
  readonly pattern: string;
  /** Most events kept per topic. */
  readonly maxEvents?: number | undefined;
  /** Oldest event kept, in milliseconds. */
  readonly maxAgeMs?: number | undefined;
}

/** How much history a store keeps, per topic. */
export interface RetentionOptions {
  /**
   * Most events kept per topic.
   * @defaultValue 10000
   */
  readonly maxEvents?: number | undefined;
  /**
   * Oldest event kept, in milliseconds.
   * @defaultValue 86400000 (24 hours)
   */
  readonly maxAgeMs?: number | undefined;
  /** Overrides for the topics matching a pattern; the first matching rule wins. */
  readonly rules?: readonly RetentionRule[] | undefined;
}

/**
 * Durable, ordered event history: the source of truth for replay.
 *
 * Contract (checked by `runStoreSuite` from `@tidings/server/testing`):
 * - `append` is atomic per call and assigns strictly increasing positions in argument order.
 * - An event is only handed to a broker after `append` resolved, so anything a subscriber sees
 *   live can also be replayed.
 * - Resume lookups go through an index, never a scan.
 * - Retention never silently loses history: `readAfter` reports `truncated` when it did.
 * - A read costs in proportion to what it matches, never to every topic ever used, and does not
 *   hold the event loop for more than a few milliseconds at a time (long reads yield).
 *
 * @see MemoryStore for the in-memory ring, SqliteStore for the embedded default.
 */
export interface HistoryStore {
  /** Short name for logs and `/healthz`, e.g. `"sqlite"`. */
  readonly kind: string;
  /**
   * Appends events atomically. An event whose supplied id the same publisher
   * ({@link NewEvent.publisher}) already stored on the same topic is not appended again: its
   * result carries that original event and `duplicate: true`. Events of other publishers or on
   * other topics never count, so no publisher can see or pre-empt another's event by its id.
   * @throws HubError 400 when a supplied id has the shape of an id this store generates.
   */
  append(events: readonly NewEvent[]): Promise<AppendResult[]>;
  /**
   * Finds where to resume, by index: a generated id decodes to its position (`found`); a
   * supplied id is looked up on the topics `filter` covers only, whatever other topics hold
   * (`matches`, oldest first), so the cost and the answer never depend on topics the caller does
   * not read. Anything else is `unknown`.
   */
  resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint>;
  /** Reads up to `limit` events after `after` (a position; `"0"` for the beginning). */
  readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult>;
  /** The position of the newest event ever appended, or `"0"` when none. */
  head(): Promise<string>;
  /**
   * An id that `resolve` maps back to `pos` (a position this store issued, or `"0"`), even when
   * no event has that exact position any more. The hub hands it to fresh subscribers in
   * `event: connected`, so a client that has not received any event yet can still resume
   * without loss. It must not let a caller learn anything about `pos`: not the number of events
   * before it, nor (by calling twice) whether it moved, nor whether it equals an event's id.
   */
  idAt(pos: string): string;
  /**
   * The codec of this store's generated ids, when it has one process-wide: the primary of a
   * multi-process hub hands its key to workers, so their `idAt` gives ids this store resolves.
   */
  readonly generatedIds?: GeneratedIds | undefined;
  /**
   * Applies age-based retention now. Stores also do it on their own timer. A topic whose whole
   * history retention removed is forgotten (its watermark survives in a per-age-limit one, so
   * readers resuming from before the loss still get `truncated`).
   */
  prune(): Promise<void>;
  /**
   * Number of topics with history. Optional: for tests and diagnostics, showing that topics
   * without history are pruned.
   */
  countTopics?(): Promise<number>;
  /** Flushes and releases resources; later calls reject. */
  close(): Promise<void>;
}
