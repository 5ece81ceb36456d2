import type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  TopicFilter,
} from '../engines/history-store.js';
import type { NewEvent } from './stored-event.js';

/** Where the default store keeps its history, relative to the working directory. */
export const DEFAULT_HISTORY_PATH = '.tidings/history.db';

/**
 * The store `createHub` uses when given neither `store` nor `engine`: SQLite at
 * {@link DEFAULT_HISTORY_PATH} over the runtime's embedded binding, loaded on first use so that importing the hub (for `hub.fetch`)
 * loads no native addon.
 */
export function defaultStore(): HistoryStore {
  return new LazyStore('sqlite', async () => {
    // The runtime's own binding: better-sqlite3 on Node, bun:sqlite on Bun, node:sqlite on Deno.
    const { loadEmbeddedStore } = await import('../engines/embedded-store.js');
    return loadEmbeddedStore({ path: DEFAULT_HISTORY_PATH });
  });
}

/**
 * A store whose implementation is loaded on first use: every call waits for it, then delegates.
 * `idAt` is synchronous and is only called after an awaited read (`head`, `resolve`), so the store
 * is loaded by then.
 */
export class LazyStore implements HistoryStore {
  private store: HistoryStore | undefined;
  private loading: Promise<HistoryStore> | undefined;

  constructor(
    readonly kind: string,
    private readonly load: () => Promise<HistoryStore>,
  ) {}

  private ready(): Promise<HistoryStore> {
    this.loading ??= this.load().then((s) => {
      this.store = s;
      return s;
    });
    return this.loading;
  }

  get generatedIds(): HistoryStore['generatedIds'] {
    return this.store?.generatedIds;
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    return (await this.ready()).append(events);
  }

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    return (await this.ready()).resolve(lastEventId, filter);
  }

  async readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    return (await this.ready()).readAfter(after, filter, limit);
  }

  async head(): Promise<string> {
    return (await this.ready()).head();
  }

  idAt(pos: string): string {
    if (!this.store) {
      throw new Error(`The ${this.kind} store is still loading; read its head() before asking for ids.`);
    }
    return this.store.idAt(pos);
  }

  async prune(): Promise<void> {
    return (await this.ready()).prune();
  }

  async countTopics(): Promise<number> {
    const s = await this.ready();
    return s.countTopics ? s.countTopics() : 0;
  }

  async close(): Promise<void> {
    // Never loaded: nothing to close, and no reason to load it now.
    if (this.loading === undefined) return;
    return (await this.loading).close();
  }
}
