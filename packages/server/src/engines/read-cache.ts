import type { ReadResult } from './history-store.js';

/**
 * Default {@link ReadCache} budget: 32 MiB, about two full replay pages of 32 KiB events, or
 * hundreds of pages of small ones.
 */
export const DEFAULT_READ_CACHE_BYTES = 32 * 1024 * 1024;

/** Fixed cost counted per cached event besides its strings: object, array slot, position string. */
const EVENT_OVERHEAD = 160;

/**
 * Estimated heap bytes of a read result: the characters of every string of every event (one byte
 * each for the ASCII JSON the hub stores; strings with characters beyond Latin-1 take two, so the
 * true size is at most twice this) plus a fixed overhead per event.
 */
export function resultBytes(r: ReadResult): number {
  let n = 64;
  for (const e of r.events) {
    n += EVENT_OVERHEAD + e.dataJson.length + e.id.length + e.topic.length + e.type.length + e.pos.length;
    if (e.meta !== undefined) n += JSON.stringify(e.meta).length;
  }
  return n;
}

interface Remembered {
  readonly result: ReadResult;
  readonly bytes: number;
}

/**
 * Answers of a store's `readAfter`, bounded in bytes, with in-flight sharing.
 *
 * Why it exists: a restarted hub meets thousands of clients resuming from the same id on the
 * same topics at once. Asking the same question once, and handing every caller the same result
 * object (whose events then also share their encoded frames), keeps that storm at one read.
 *
 * Bounds: remembered results are evicted least recently used first so their estimated size
 * ({@link resultBytes}) stays within `maxBytes`; a result larger than `maxBytes` is never kept.
 * Resuming from many distinct ids therefore costs at most `maxBytes` of heap, not a page per id.
 *
 * Correctness: the owner calls {@link ReadCache.clear} whenever history may have changed (an
 * append, an eviction, another process's commit). That also detaches reads still running, so a
 * caller arriving after a change never joins a read that started before it.
 */
export class ReadCache {
  private readonly entries = new Map<string, Remembered>();
  private readonly running = new Map<string, Promise<ReadResult>>();
  private used = 0;
  /** Moves on every clear; a read that started in an older generation is not remembered. */
  private generation = 0;

  /** @param maxBytes most estimated bytes of remembered results; 0 remembers nothing (reads in flight are still shared). */
  constructor(readonly maxBytes: number = DEFAULT_READ_CACHE_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(
        `The read cache size must be a whole number of bytes, 0 or more, not ${maxBytes}.`,
      );
    }
  }

  /** Estimated bytes currently remembered. */
  get bytes(): number {
    return this.used;
  }

  /** Number of remembered results. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The answer to `key`: remembered, already being read, or read now by `read` (which may finish
   * synchronously or later).
   */
  read(key: string, read: () => ReadResult | Promise<ReadResult>): Promise<ReadResult> {
    const hit = this.entries.get(key);
    if (hit) {
      // Least recently used goes first: re-insert to move it to the end.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return Promise.resolve(hit.result);
    }
    const pending = this.running.get(key);
    if (pending) return pending;
    const generation = this.generation;
    let promise: Promise<ReadResult>;
    try {
      const r = read();
      promise = r instanceof Promise ? r : Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
    this.running.set(key, promise);
    const settle = (result: ReadResult | undefined) => {
      if (this.running.get(key) === promise) this.running.delete(key);
      if (result && generation === this.generation) this.remember(key, result);
    };
    promise.then(settle, () => settle(undefined));
    return promise;
  }

  /** Forgets every answer and detaches every running read (history changed). */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.running.clear();
    this.used = 0;
  }

  private remember(key: string, result: ReadResult): void {
    const bytes = resultBytes(result);
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.used -= old.bytes;
    }
    for (const [k, v] of this.entries) {
      if (this.used + bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.used -= v.bytes;
    }
    this.entries.set(key, { result, bytes });
    this.used += bytes;
  }
}
