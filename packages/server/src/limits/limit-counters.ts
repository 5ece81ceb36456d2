import { ConnectionCounter } from './connection-limits.js';
import { type Rate, TokenBuckets } from './token-bucket.js';

/** One connection slot a stream asks for: a counter (`user`, `ip`), a key in it and its limit. */
export interface SlotRequest {
  readonly counter: 'user' | 'ip';
  readonly key: string;
  readonly limit: number;
}

/**
 * Where the counts behind a hub's abuse limits live: open streams per user and per address, and
 * the publish token buckets. A hub in one process counts in memory ({@link LocalLimitCounters},
 * the default); the workers of `tidings serve --workers N` share the primary's counts through
 * {@link ipcLimitCounters}, so every limit holds for the hub as a whole, whichever worker takes
 * the request.
 * @see LimitOptions for the limits themselves.
 */
export interface LimitCounters {
  /**
   * Takes one slot in each of `slots`, all or none: when one is at its limit nothing is taken.
   * @returns -1 when every slot was taken, else the index in `slots` of the first one at its limit.
   */
  acquire(slots: readonly SlotRequest[]): Promise<number>;
  /** Gives back slots {@link LimitCounters.acquire} took (once per successful acquire). */
  release(slots: readonly SlotRequest[]): void;
  /**
   * Takes `n` tokens from the bucket `bucket` (e.g. `publish`) of `key`, refilled at `rate`.
   * @returns 0 when allowed, else the milliseconds to wait before trying again.
   */
  take(bucket: string, key: string, n: number, rate: Rate): Promise<number>;
  /** Stops using shared state (a worker's channel); the local counters hold nothing to close. */
  close?(): void;
}

/**
 * Counts in this process's memory: the default of a hub, and what the primary of
 * `tidings serve --workers N` keeps for all of its workers. Synchronous under its promises, so
 * {@link LocalLimitCounters.acquireNow} can serve a caller that needs the answer at once.
 */
export class LocalLimitCounters implements LimitCounters {
  private readonly counters = new Map<string, ConnectionCounter>();
  private readonly buckets = new Map<string, TokenBuckets>();

  acquire(slots: readonly SlotRequest[]): Promise<number> {
    return Promise.resolve(this.acquireNow(slots));
  }

  /** {@link LimitCounters.acquire}, answered synchronously. */
  acquireNow(slots: readonly SlotRequest[]): number {
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] as SlotRequest;
      if (this.counter(s).count(s.key) >= s.limit) return i;
    }
    for (const s of slots) this.counter(s).acquire(s.key);
    return -1;
  }

  release(slots: readonly SlotRequest[]): void {
    for (const s of slots) {
      const c = this.counters.get(s.counter);
      // A ConnectionCounter's release is per acquire; here one decrement per slot is the same.
      if (c && c.count(s.key) > 0) c.decrement(s.key);
    }
  }

  take(bucket: string, key: string, n: number, rate: Rate): Promise<number> {
    return Promise.resolve(this.takeNow(bucket, key, n, rate));
  }

  /** {@link LimitCounters.take}, answered synchronously. */
  takeNow(bucket: string, key: string, n: number, rate: Rate): number {
    // One set of buckets per rate: workers configured alike share them.
    const id = `${bucket}\u0000${rate.perSecond}\u0000${rate.burst}`;
    let b = this.buckets.get(id);
    if (!b) {
      b = new TokenBuckets(rate);
      this.buckets.set(id, b);
    }
    return b.take(key, n);
  }

  /** Open slots counted for `key` in `counter`. */
  count(counter: SlotRequest['counter'], key: string): number {
    return this.counters.get(counter)?.count(key) ?? 0;
  }

  private counter(s: SlotRequest): ConnectionCounter {
    let c = this.counters.get(s.counter);
    if (!c) {
      // The limit travels with each request; the counter itself only counts.
      c = new ConnectionCounter(Number.POSITIVE_INFINITY);
      this.counters.set(s.counter, c);
    }
    return c;
  }
}

/**
 * The key a user's connection slots and publish bucket are counted under: the tenant and the
 * user together, so the same `sub` in two tenants are two users with two quotas.
 */
export function userLimitKey(tenant: string | undefined, user: string): string {
  return JSON.stringify([tenant ?? null, user]);
}
