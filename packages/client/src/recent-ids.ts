/**
 * The keys (id and envelope, see `EventPipeline`) of the last `capacity` events, for dropping
 * duplicates. Bounded so that a stream that runs for weeks does not grow memory; duplicates only
 * ever come from the recent past (a replay overlapping what a previous leader tab relayed, an
 * at-least-once upstream). A `Set` keeps insertion order, so the oldest key is its first.
 */
export class RecentIds {
  private readonly set = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Whether `key` was seen; if not, remembers it, forgetting the oldest when full. */
  seen(key: string): boolean {
    const s = this.set;
    if (s.has(key)) return true;
    s.add(key);
    if (s.size > this.capacity) s.delete(s.values().next().value as string);
    return false;
  }
}
