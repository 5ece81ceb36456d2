import type { PresenceCount, PresenceEntry, PresenceStore } from '../presence-store.js';
import type { IpcClient } from './ipc-client.js';

/** Presence kept by the primary ({@link IpcEngineHost.presence}) for every worker. */
export class IpcPresence implements PresenceStore {
  readonly kind = 'ipc';

  constructor(private readonly client: IpcClient) {}

  async announce(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length > 0) await this.client.call({ op: 'presence', kind: 'announce', entries }, false);
  }

  async withdraw(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length > 0) await this.client.call({ op: 'presence', kind: 'withdraw', entries }, false);
  }

  query(topic: string): Promise<PresenceCount> {
    return this.client.call({ op: 'presenceQuery', topic });
  }
}
