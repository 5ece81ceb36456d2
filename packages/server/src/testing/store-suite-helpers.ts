import { compilePattern } from '@tidings/protocol';
import type { NewEvent, StoredEvent } from '../core/stored-event.js';
import type { HistoryStore, ResumePoint, RetentionOptions, TopicFilter } from '../engines/history-store.js';

/** How the conformance suite builds the store under test. */
export interface StoreSuiteOptions {
  /** Name shown in the test report. */
  name: string;
  /** A fresh, empty store. `now` is the clock to use when the store supports injecting one. */
  create(options: { retention?: RetentionOptions; now?: () => number }): Promise<HistoryStore> | HistoryStore;
  /**
   * Closes `store` and opens a new instance on the same data, for durability checks. Omit for
   * stores that keep nothing (the in-memory one).
   */
  reopen?(store: HistoryStore): Promise<HistoryStore>;
  /** False when the store's clock cannot be injected (age-retention tests are then skipped). */
  injectableClock?: boolean;
}

/** What every part of the store suite gets: the options, and the stores closed after each case. */
export interface StoreSuiteContext {
  readonly opts: StoreSuiteOptions;
  /** Stores to close after the case. */
  readonly open: HistoryStore[];
  /** A fresh store, closed after the case. */
  make(o?: { retention?: RetentionOptions; now?: () => number }): Promise<HistoryStore>;
}

let seq = 0;
export function ev(topic: string, data: unknown = { n: ++seq }, extra: Partial<NewEvent> = {}): NewEvent {
  return { topic, type: 'test', ts: Date.now(), dataJson: JSON.stringify(data), ...extra };
}

export function filter(topics: string[], patterns: string[] = []): TopicFilter {
  return { topics, patterns: patterns.map(compilePattern) };
}

/** Every topic: for resolving ids whose topic does not matter to the test. */
export const ALL = filter([], ['**']);

/** The positions a supplied id matched, oldest first ([] for unknown, [pos] for a generated id). */
export function positions(point: ResumePoint): string[] {
  if (point.kind === 'unknown') return [];
  if (point.kind === 'found') return [point.pos];
  return point.events.map((e) => e.pos);
}

/** The parts of an event a publisher sees, to compare a duplicate answer with the original. */
export function seen(e: StoredEvent | undefined) {
  return e && { id: e.id, pos: e.pos, topic: e.topic, type: e.type, data: e.dataJson, meta: e.meta };
}
