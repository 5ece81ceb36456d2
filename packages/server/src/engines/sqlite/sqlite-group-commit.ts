import { HubError } from '../../core/errors.js';
import type { NewEvent } from '../../core/stored-event.js';
import type { GeneratedIds } from '../generated-ids.js';
import type { AppendResult } from '../history-store.js';
import type { ReadCache } from '../read-cache.js';
import type { RetentionPolicy } from '../retention.js';
import type { SqliteConnection } from './sqlite-driver.js';
import { evictThrough } from './sqlite-eviction.js';
import type { Row } from './sqlite-rows.js';
import { toStored } from './sqlite-rows.js';
import type { HistoryStatements } from './sqlite-statements.js';

/** One `append` call waiting for its group's commit. */
interface PendingAppend {
  readonly events: readonly NewEvent[];
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
  results: AppendResult[] | undefined;
  error: unknown;
}

/**
 * Group commit: every append of one turn of the event loop shares one transaction (one WAL
 * commit), each call still atomic on its own (a savepoint) and answered only after the commit.
 * Count retention runs in the same transaction.
 */
export class GroupCommit {
  /** Appends waiting for this turn's group commit, in call order. */
  private group: PendingAppend[] = [];
  private readonly appendTx: (events: readonly NewEvent[]) => AppendResult[];
  private readonly groupTx: (group: readonly PendingAppend[]) => void;

  constructor(
    db: SqliteConnection,
    private readonly stmt: HistoryStatements,
    private readonly ids: GeneratedIds,
    private readonly policy: RetentionPolicy,
    private readonly reads: ReadCache,
    private readonly isClosed: () => boolean,
  ) {
    this.appendTx = db.transaction((events: readonly NewEvent[]) => this.appendInTx(events));
    this.groupTx = db.transaction((group: readonly PendingAppend[]) => {
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
  }

  /** Queues `events` for this turn's commit; resolves once they are durable. */
  append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    return new Promise<AppendResult[]>((resolve, reject) => {
      if (this.group.length === 0) setImmediate(() => this.flush());
      this.group.push({ events, resolve, reject, results: undefined, error: undefined });
    });
  }

  /** Commits the appends waiting now, in one transaction, and answers each. */
  flush(): void {
    const group = this.group;
    this.group = [];
    if (group.length === 0) return;
    if (this.isClosed()) {
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
          results.push({ event: toStored(this.ids, existing), duplicate: true });
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
        if (cut) evictThrough(this.stmt, topic, cut.pos);
      }
    }
    return results;
  }
}
