import { comparePositions } from '@tidings/protocol';
import type { TopicFilter } from './history-store.js';
import type { RetentionPolicy } from './retention.js';

/**
 * What a store remembers of the topics it pruned: per age limit, the highest eviction watermark
 * of any topic removed because retention emptied it.
 *
 * Why: a topic whose history is empty is dropped from the store (its row, its trie node, its
 * Redis keys), or topics used once would pile up forever and every pattern lookup would pay for
 * them. But that topic's watermark is how a reader resuming from before the loss learns of it.
 * Keeping one watermark per age limit instead of one per topic bounds that memory by the number
 * of retention rules, at the price of a `reset` for a reader that resumes from before a pruned
 * topic's last event, on a filter that could cover a topic of that age class, even when the
 * pruned topic was not one of its own. Such a reader was away longer than that class keeps
 * history, so a refetch is what it needs anyway in most cases.
 */
export class PrunedTopics {
  private readonly through = new Map<number, string>();

  constructor(private readonly policy: RetentionPolicy) {}

  /** Notes that `topic` was pruned with its eviction watermark at `pos`. */
  record(topic: string, pos: string): void {
    const age = this.policy.for(topic).maxAgeMs;
    const old = this.through.get(age);
    if (old === undefined || comparePositions(pos, old) > 0) this.through.set(age, pos);
  }

  /** Whether a reader of `filter` resuming after `after` may have lost events of a pruned topic. */
  mayHaveLost(filter: TopicFilter, after: string): boolean {
    if (this.through.size === 0) return false;
    const beyond = (age: number) => {
      const w = this.through.get(age);
      return w !== undefined && comparePositions(w, after) > 0;
    };
    for (const t of filter.topics) if (beyond(this.policy.for(t).maxAgeMs)) return true;
    for (const p of filter.patterns) for (const age of this.policy.agesFor(p)) if (beyond(age)) return true;
    return false;
  }

  /** The watermarks, for persisting: `[maxAgeMs, position]` pairs. */
  entries(): Array<[number, string]> {
    return [...this.through];
  }

  /** Restores persisted watermarks (keeping the higher of each). */
  load(entries: ReadonlyArray<readonly [number, string]>): void {
    for (const [age, pos] of entries) {
      const old = this.through.get(age);
      if (old === undefined || comparePositions(pos, old) > 0) this.through.set(age, pos);
    }
  }
}
