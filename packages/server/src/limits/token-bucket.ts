import { sha256 } from '../core/node-builtins.js';
import { checkRate, type Rate } from './rate.js';

/** Keys longer than this are held as their SHA-256 (44 characters): a bucket's size is bounded. */
const MAX_KEY_CHARS = 128;

export type { Rate } from './rate.js';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a publisher, an address). Taking `n` tokens succeeds while the bucket
 * holds at least `min(n, burst)`; it may then go negative, so a batch larger than the burst is
 * accepted from a full bucket and paid back before the next one: the long-run rate is exact and
 * no request size is refused forever. Idle (full) buckets are dropped as the map grows.
 *
 * Memory is bounded: at most `maxKeys` buckets of at most about 300 bytes each (a key longer than
 * 128 characters is held as its hash). Past `maxKeys` busy keys the oldest bucket is forgotten,
 * which lets that key start again from a full bucket: only a flood of that many distinct
 * publishers within one refill period (burst / perSecond) gets there.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private nextSweepAt = 4096;

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = Date.now,
    /** Most buckets held. @defaultValue 100000 */
    readonly maxKeys = 100_000,
  ) {
    checkRate(rate);
  }

  /**
   * Takes `n` tokens for `key`; with `n` = 0, only checks ({@link wait}) that one would pass now.
   * @returns 0 when allowed, else the milliseconds to wait before trying again.
   */
  take(key: string, n = 1): number {
    if (n === 0) return this.wait(key);
    const now = this.now();
    if (key.length > MAX_KEY_CHARS) key = hashed(key);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.nextSweepAt) this.sweep(now);
      if (this.buckets.size >= this.maxKeys) {
        // Maps iterate in insertion order: the first key is the oldest bucket.
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
      }
      b = { tokens: this.rate.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.rate.burst, b.tokens + ((now - b.at) / 1000) * this.rate.perSecond);
      b.at = now;
    }
    const need = Math.min(n, this.rate.burst);
    if (b.tokens >= need) {
      b.tokens -= n;
      return 0;
    }
    return Math.ceil(((need - b.tokens) / this.rate.perSecond) * 1000);
  }

  /** Milliseconds until `key` holds one token again (0 when it does), without taking any. */
  wait(key: string): number {
    const b = this.buckets.get(key.length > MAX_KEY_CHARS ? hashed(key) : key);
    if (!b) return 0;
    const tokens = Math.min(this.rate.burst, b.tokens + ((this.now() - b.at) / 1000) * this.rate.perSecond);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.rate.perSecond) * 1000);
  }

  /** Number of buckets held. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.rate.perSecond >= this.rate.burst) this.buckets.delete(k);
    }
    // Amortised: the next sweep waits until the map doubles (never, once that is past maxKeys,
    // where evicting the oldest bounds it and a sweep per insert would cost O(maxKeys) each).
    this.nextSweepAt = Math.max(4096, this.buckets.size * 2);
  }
}

function hashed(key: string): string {
  return `#${sha256(key, 'base64', 'A rate limit on a long key')}`;
}
