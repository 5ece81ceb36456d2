import { sharedPattern } from '../../core/shared-pattern.js';
import { SubscriberIndex } from '../../core/subscriber-index.js';
import type { PresenceCount, PresenceEntry, PresenceStore } from '../presence-store.js';

interface Present {
  readonly entry: PresenceEntry;
  mark: number;
}

/**
 * Presence announced to this process and kept in memory: what the primary of
 * `tidings serve --workers` holds for its workers (through {@link IpcEngineHost}), or a store for
 * several hubs in one process. Entries never expire: whoever announces withdraws, and the
 * primary withdraws the entries of a worker that exited.
 *
 * Entries sit in a {@link SubscriberIndex} by topic and pattern, so a query visits only the
 * entries whose subscription matches the topic, not every connection present.
 */
export class MemoryPresence implements PresenceStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Present>();
  private readonly index = new SubscriberIndex<Present>();

  async announce(entries: readonly PresenceEntry[]): Promise<void> {
    for (const e of entries) {
      this.remove(e.connectionId);
      const p: Present = { entry: e, mark: 0 };
      this.entries.set(e.connectionId, p);
      for (const t of new Set(e.topics)) this.index.add(p, sharedPattern(t));
    }
  }

  async withdraw(entries: readonly PresenceEntry[]): Promise<void> {
    for (const e of entries) this.remove(e.connectionId);
  }

  async query(topic: string): Promise<PresenceCount> {
    let connections = 0;
    const users = new Set<string>();
    this.index.forEach(topic, ({ entry }) => {
      connections++;
      if (entry.user !== undefined && entry.user !== null) users.add(entry.user);
    });
    return { connections, users: [...users].sort() };
  }

  /** Connections currently present. */
  get size(): number {
    return this.entries.size;
  }

  private remove(connectionId: string): void {
    const p = this.entries.get(connectionId);
    if (!p) return;
    this.entries.delete(connectionId);
    for (const t of new Set(p.entry.topics)) this.index.remove(p, sharedPattern(t));
  }
}
