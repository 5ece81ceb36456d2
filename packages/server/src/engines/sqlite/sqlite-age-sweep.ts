import { nextTurn } from '../next-turn.js';
import type { PrunedTopics } from '../pruned-topics.js';
import type { ReadCache } from '../read-cache.js';
import type { RetentionPolicy } from '../retention.js';
import type { SqliteConnection } from './sqlite-driver.js';
import { evictThrough } from './sqlite-eviction.js';
import type { PosTopic } from './sqlite-rows.js';
import { CHUNK, type HistoryStatements, headOf } from './sqlite-statements.js';

/**
 * Age retention of the SQLite history: finds the cut of each age limit by binary search over
 * positions, then walks the events older than the widest cut a chunk at a time.
 */
export class AgeSweep {
  /** The age sweep running now, if any: a second caller waits for it instead of racing it. */
  private pruning: Promise<void> | undefined;

  constructor(
    private readonly db: SqliteConnection,
    private readonly stmt: HistoryStatements,
    private readonly policy: RetentionPolicy,
    private readonly pruned: PrunedTopics,
    private readonly reads: ReadCache,
    private readonly now: () => number,
    private readonly isClosed: () => boolean,
  ) {}

  /** The highest position whose event is older than `cutoffTs`, found by binary search (ts grows with pos). */
  private lastPosBefore(cutoffTs: number): number {
    const min = (this.stmt.minPos.get() as { m: number | null }).m;
    if (min === null) return 0;
    let lo = min;
    let hi = headOf(this.stmt);
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

  /** Runs an age sweep, or joins the one running now: a second caller never races it. */
  run(): Promise<void> {
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
    while (cursor < widest && !this.isClosed()) {
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
          const watermark = evictThrough(this.stmt, topic, cut);
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
}
