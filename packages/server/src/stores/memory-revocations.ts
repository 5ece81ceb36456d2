import type { RevocationStore } from '../engine.js';

/** Options of {@link memoryRevocations}. */
export interface MemoryRevocationsOptions {
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/**
 * Revocations held in this process only: lost on restart and not shared with other nodes. The
 * hub uses it when its engine provides none. Expired entries are dropped as the map grows, so
 * memory stays proportional to the revocations still in force.
 */
export class MemoryRevocations implements RevocationStore {
  private readonly entries = new Map<string, number>();
  private readonly now: () => number;
  private nextSweepAt = 1024;

  constructor(options: MemoryRevocationsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async revoke(key: string, untilMs: number): Promise<void> {
    const prev = this.entries.get(key);
    if (prev === undefined || prev < untilMs) this.entries.set(key, untilMs);
    if (this.entries.size >= this.nextSweepAt) this.sweep();
  }

  async isRevoked(key: string): Promise<boolean> {
    const until = this.entries.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.entries.delete(key);
    return false;
  }

  /** Number of entries held (expired ones included until the next sweep). */
  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, until] of this.entries) if (until <= now) this.entries.delete(k);
    this.nextSweepAt = Math.max(1024, this.entries.size * 2);
  }
}

/**
 * Creates an in-process {@link RevocationStore}.
 * @see MemoryRevocations
 */
export function memoryRevocations(options?: MemoryRevocationsOptions): MemoryRevocations {
  return new MemoryRevocations(options);
}
