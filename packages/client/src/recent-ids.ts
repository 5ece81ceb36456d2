/**
 * The ids of the last `capacity` events, for dropping duplicates. Bounded so that a stream that
 * runs for weeks does not grow memory; duplicates only ever come from the recent past (a replay
 * overlapping what a previous leader tab relayed, an at-least-once upstream).
 */
export class RecentIds {
  private readonly set = new Set<string>();
  private readonly order: string[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.order = new Array<string>(capacity);
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  /** Remembers `id`, forgetting the oldest when full. */
  add(id: string): void {
    if (this.set.has(id)) return;
    const evicted = this.order[this.next];
    if (evicted !== undefined) this.set.delete(evicted);
    this.order[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.set.add(id);
  }
}
