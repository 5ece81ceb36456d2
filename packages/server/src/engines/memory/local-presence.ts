import type { ConnectionInfo } from '../../core/observer.js';
import { sharedPattern } from '../../core/shared-pattern.js';
import type { PresenceCount, PresenceStore } from '../presence-store.js';

/**
 * Presence of one node: counts the hub's own open connections, nothing to announce. The default
 * when the engine has no shared presence store.
 */
export class LocalPresence implements PresenceStore {
  readonly kind = 'local';

  constructor(private readonly connections: () => Iterable<ConnectionInfo>) {}

  async announce(): Promise<void> {}

  async withdraw(): Promise<void> {}

  async query(topic: string): Promise<PresenceCount> {
    let connections = 0;
    const users = new Set<string>();
    for (const c of this.connections()) {
      if (!c.topics.some((t) => sharedPattern(t).matches(topic))) continue;
      connections++;
      if (c.user !== undefined) users.add(c.user);
    }
    return { connections, users: [...users].sort() };
  }
}
