import { sharedPattern } from '../shared-pattern.js';
import type { PresenceCount, PresenceEntry, PresenceStore } from './presence-store.js';

/**
 * Presence announced to this process and kept in memory: what the primary of
 * `tidings serve --workers` holds for its workers (through {@link IpcEngineHost}), or a store for
 * several hubs in one process. Entries never expire: whoever announces withdraws, and the
 * primary withdraws the entries of a worker that exited.
 */
export class MemoryPresence implements PresenceStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, PresenceEntry>();

  async announce(entries: readonly PresenceEntry[]): Promise<void> {
    for (const e of entries) this.entries.set(e.connectionId, e);
  }

  async withdraw(entries: readonly PresenceEntry[]): Promise<void> {
    for (const e of entries) this.entries.delete(e.connectionId);
  }

  async query(topic: string): Promise<PresenceCount> {
    let connections = 0;
    const users = new Set<string>();
    for (const e of this.entries.values()) {
      if (!e.topics.some((t) => sharedPattern(t).matches(topic))) continue;
      connections++;
      if (e.user !== undefined && e.user !== null) users.add(e.user);
    }
    return { connections, users: [...users].sort() };
  }

  /** Connections currently present. */
  get size(): number {
    return this.entries.size;
  }
}
