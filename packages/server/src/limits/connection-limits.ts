/** Releases what {@link ConnectionCounter.acquire} took; calling it again does nothing. */
export type Release = () => void;

/**
 * Counts open connections per key (a user, an address) and refuses one more past a limit. A slot
 * is taken before the stream opens, so concurrent requests cannot all slip past the check.
 */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Current count for `key`. */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Whether `key` is at its limit. */
  full(key: string): boolean {
    return this.count(key) >= this.limit;
  }

  /** Takes a slot for `key` (check {@link full} first). */
  acquire(key: string): Release {
    this.counts.set(key, this.count(key) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.decrement(key);
    };
  }

  /** Gives back one slot of `key` (what a {@link Release} does, for callers that keep no handle). */
  decrement(key: string): void {
    const n = this.count(key) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }

  /** Number of keys with at least one connection. */
  get keys(): number {
    return this.counts.size;
  }
}
