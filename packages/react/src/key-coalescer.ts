/** Timers a coalescer uses; inject them in tests to decide when a window closes. */
export interface CoalescerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Default coalescing window: at most one invalidation per key per 100 ms. */
export const DEFAULT_COALESCE_MS = 100;

/**
 * Merges requests per key: the first request for a key opens a window of `windowMs`; requests for
 * the same key inside it are absorbed; when it closes, `flush` runs once for that key. So a burst
 * of any size costs one refetch per key per window, at the price of `windowMs` latency.
 * With `windowMs` 0 every request flushes at once.
 */
export class KeyCoalescer<K> {
  private readonly pending = new Map<string, unknown>();

  constructor(
    private readonly windowMs: number,
    private readonly flush: (key: K) => void,
    private readonly timers: CoalescerTimers = globalThis,
  ) {}

  /** Asks for `key` (identified by `hash`) to be flushed. */
  request(hash: string, key: K): void {
    if (this.windowMs <= 0) {
      this.flush(key);
      return;
    }
    if (this.pending.has(hash)) return;
    this.pending.set(
      hash,
      this.timers.setTimeout(() => {
        this.pending.delete(hash);
        this.flush(key);
      }, this.windowMs),
    );
  }

  /** Keys waiting for their window to close. */
  get size(): number {
    return this.pending.size;
  }

  /** Drops every pending request (on unmount). */
  cancel(): void {
    for (const handle of this.pending.values()) this.timers.clearTimeout(handle);
    this.pending.clear();
  }
}
