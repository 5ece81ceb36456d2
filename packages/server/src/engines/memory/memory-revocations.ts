import type { RevocationStore } from '../engine.js';

/** Options of {@link memoryRevocations}. */
export interface MemoryRevocationsOptions {
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/** A cut-off held by {@link MemoryRevocations}: credentials issued at or before `upTo` are refused until `until`. */
export interface Cutoff {
  readonly upTo: number;
  readonly until: number;
}

/** Every entry of a {@link MemoryRevocations} still in force. */
export interface RevocationSnapshot {
  /** Revoked keys → until (epoch ms). */
  readonly revoked: ReadonlyMap<string, number>;
  /** Cut-offs by key. */
  readonly cutoffs: ReadonlyMap<string, Cutoff>;
}

/**
 * Revocations held in this process only: lost on restart and not shared with other nodes. The
 * hub uses it when its engine provides none, and the Redis revocation store keeps one as its
 * node's copy. Expired entries are dropped as the maps grow, so memory stays proportional to the
 * revocations still in force.
 */
export class MemoryRevocations implements RevocationStore {
  private readonly entries = new Map<string, number>();
  private readonly cuts = new Map<string, Cutoff>();
  private readonly now: () => number;
  private nextSweepAt = 1024;

  constructor(options: MemoryRevocationsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async revoke(key: string, untilMs: number): Promise<void> {
    const prev = this.entries.get(key);
    if (prev === undefined || prev < untilMs) this.entries.set(key, untilMs);
    if (this.size >= this.nextSweepAt) this.sweep();
  }

  async isRevoked(key: string): Promise<boolean> {
    const until = this.entries.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.entries.delete(key);
    return false;
  }

  async revokeIssuedUpTo(key: string, issuedUpToMs: number, untilMs: number): Promise<void> {
    const prev = this.cuts.get(key);
    const live = prev !== undefined && prev.until > this.now() ? prev : undefined;
    this.cuts.set(key, {
      upTo: Math.max(issuedUpToMs, live?.upTo ?? issuedUpToMs),
      until: Math.max(untilMs, live?.until ?? untilMs),
    });
    if (this.size >= this.nextSweepAt) this.sweep();
  }

  async issuedUpTo(key: string): Promise<number | undefined> {
    const c = this.cuts.get(key);
    if (c === undefined) return undefined;
    if (c.until > this.now()) return c.upTo;
    this.cuts.delete(key);
    return undefined;
  }

  /** Every entry still in force, copied (for re-asserting them into a shared store). */
  snapshot(): RevocationSnapshot {
    this.sweep();
    return { revoked: new Map(this.entries), cutoffs: new Map(this.cuts) };
  }

  /** Number of entries held (expired ones included until the next sweep). */
  get size(): number {
    return this.entries.size + this.cuts.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.cuts.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, until] of this.entries) if (until <= now) this.entries.delete(k);
    for (const [k, c] of this.cuts) if (c.until <= now) this.cuts.delete(k);
    this.nextSweepAt = Math.max(1024, this.size * 2);
  }
}

/**
 * Creates an in-process {@link RevocationStore}.
 * @see MemoryRevocations
 */
export function memoryRevocations(options?: MemoryRevocationsOptions): MemoryRevocations {
  return new MemoryRevocations(options);
}
