/** Longest single timer; longer waits re-arm, since setTimeout overflows past 2^31-1 ms. */
const MAX_TIMER_MS = 3_600_000;

/**
 * Calls `onExpire(id)` when each registered deadline passes, with one timer for all of them.
 * Deadlines are grouped per second, so a hub with many streams holds one entry per id and one
 * timer, and a removed id is forgotten at once.
 */
export class ExpiryScheduler {
  private readonly buckets = new Map<number, Set<string>>();
  private readonly bucketOf = new Map<string, number>();
  private readonly heap: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly onExpire: (id: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers (or moves) the deadline of `id`, in epoch ms. */
  add(id: string, atMs: number): void {
    if (this.closed) return;
    this.remove(id);
    const b = Math.ceil(atMs / 1000);
    let set = this.buckets.get(b);
    if (!set) {
      set = new Set();
      this.buckets.set(b, set);
      this.push(b);
    }
    set.add(id);
    this.bucketOf.set(id, b);
    this.arm();
  }

  /** Forgets `id` (its stream closed first). */
  remove(id: string): void {
    const b = this.bucketOf.get(id);
    if (b === undefined) return;
    this.bucketOf.delete(id);
    const set = this.buckets.get(b);
    set?.delete(id);
    // Empty buckets stay in the heap until their time; there is at most one per second.
  }

  /** Number of ids waiting. */
  get size(): number {
    return this.bucketOf.size;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.buckets.clear();
    this.bucketOf.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) return;
    const at = first * 1000;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.max(0, Math.min(MAX_TIMER_MS, at - this.now()));
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const nowS = this.now() / 1000;
    const due: string[] = [];
    while (this.heap.length > 0 && (this.heap[0] as number) <= nowS) {
      const b = this.pop();
      const set = this.buckets.get(b);
      this.buckets.delete(b);
      if (!set) continue;
      for (const id of set) {
        this.bucketOf.delete(id);
        due.push(id);
      }
    }
    for (const id of due) {
      try {
        this.onExpire(id);
      } catch {
        // One failing close must not stop the others.
      }
    }
    this.arm();
  }

  private push(v: number): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as number) <= v) break;
      h[i] = h[p] as number;
      i = p;
    }
    h[i] = v;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0] as number;
    const last = h.pop() as number;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last;
        if (l < h.length && (h[l] as number) < mv) {
          m = l;
          mv = h[l] as number;
        }
        if (r < h.length && (h[r] as number) < mv) m = r;
        if (m === i) break;
        h[i] = h[m] as number;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
