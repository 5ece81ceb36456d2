import type { GeneratedIds } from '../generated-ids.js';
import type { ResumePoint } from '../history-store.js';

/**
 * The id key a Redis store last saw, and the keys of histories it saw Redis lose: Redis keeps
 * the key, so after Redis lost its data a new key starts, and ids of the old one must still be
 * told apart from made-up ones.
 */
export class RedisIdKeys {
  /** The codec of the id key last seen in Redis, for idAt. */
  current: GeneratedIds | undefined;
  /**
   * Id keys of histories this store saw Redis lose (newest last, at most 4): an id one of them
   * decodes belongs to a lost history, so everything held now is newer than it.
   */
  private readonly earlier: GeneratedIds[] = [];

  /** Takes `ids` as the current key, remembering the one it replaces (a history Redis lost). */
  learn(ids: GeneratedIds | undefined): void {
    if (ids === undefined || ids === this.current) return;
    if (this.current !== undefined) {
      this.earlier.push(this.current);
      if (this.earlier.length > 4) this.earlier.shift();
    }
    this.current = ids;
  }

  /** Whether `id` is a generated id of a history Redis lost. */
  ofLostHistory(id: string): boolean {
    return this.earlier.some((c) => c.decode(id) !== undefined);
  }
}

/**
 * An id this history cannot place. Shortly after a node saw Redis lose its data (the `recovered`
 * mark names the current epoch), it is taken for an id of the lost history: the streams closed
 * then are coming back, and every event held now is newer than what they saw.
 */
export function lostHistoryPoint(
  recovered: string | null | undefined,
  epoch: string | null | undefined,
): ResumePoint {
  if (recovered && recovered === epoch) return { kind: 'unknown', replayFrom: '0' };
  return { kind: 'unknown' };
}
