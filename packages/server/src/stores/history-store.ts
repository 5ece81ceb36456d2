import type { TopicPattern } from '@tidings/protocol';
import type { NewEvent, StoredEvent } from '../stored-event.js';

/** The result of appending one event. */
export interface AppendResult {
  /** The stored event (for a duplicate, the original one). */
  readonly event: StoredEvent;
  /** True when the supplied id was already stored: nothing was appended and nothing must be delivered. */
  readonly duplicate: boolean;
}

/** Which topics a read covers: exact topics plus wildcard patterns. */
export interface TopicFilter {
  readonly topics: readonly string[];
  readonly patterns: readonly TopicPattern[];
}

/** Where a `Last-Event-ID` points. */
export type ResumePoint =
  | {
      /** The id is known (or is a generated id still within the store's range): resume after `pos`. */
      readonly kind: 'found';
      readonly pos: string;
    }
  | {
      /** The id was never issued by this store, or was issued by an earlier, lost history. */
      readonly kind: 'unknown';
    };

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
   * Appends events atomically. Events with a supplied id already present are not appended again:
   * their result carries the original event and `duplicate: true`.
   * @throws HubError 400 when a supplied id has the shape of an id this store generates.
   */
  append(events: readonly NewEvent[]): Promise<AppendResult[]>;
  /** Finds the position to resume after, by index. */
  resolve(lastEventId: string): Promise<ResumePoint>;
  /** Reads up to `limit` events after `after` (a position; `"0"` for the beginning). */
  readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult>;
  /** The position of the newest event ever appended, or `"0"` when none. */
  head(): Promise<string>;
  /**
   * An id that `resolve` maps back to `pos` (a position this store issued, or `"0"`), even when
   * no event has that exact position any more. The hub hands it to fresh subscribers in
   * `event: connected`, so a client that has not received any event yet can still resume
   * without loss.
   */
  idAt(pos: string): string;
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
