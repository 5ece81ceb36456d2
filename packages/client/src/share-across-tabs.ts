import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment } from './environment.js';
import type { TabGroup, TabHost } from './tab-group.js';

/** What joining a tab group needs from the client (the client object itself). */
export interface SharingClient extends TabHost {
  readonly env: ClientEnvironment;
  readonly log: DebugLog;
  tabs: TabGroup | undefined;
  /** While the tab group loads: connecting waits for it. */
  tabsReady: Promise<void> | undefined;
}

/**
 * `shareAcrossTabs`: loads the tab group (a chunk of its own: apps that do not share a connection
 * between tabs do not ship it) and sets `client.tabs`. Where Web Locks or `BroadcastChannel` are
 * missing, or the code cannot load, the tab keeps a connection of its own and says so.
 * @param key - names the group of tabs that share one connection.
 */
export function shareAcrossTabs(client: SharingClient, key: string): void {
  const { openChannel, locks } = client.env;
  if (!openChannel || !locks) {
    client.log.warn(
      'shareAcrossTabs needs Web Locks and BroadcastChannel, which this environment lacks; this tab uses a connection of its own.',
    );
    return;
  }
  const tabId = Math.floor(client.env.random() * 2 ** 52).toString(36);
  client.tabsReady = import('./tab-group.js').then(
    (m) => {
      client.tabs = new m.TabGroup(key, tabId, openChannel, locks, client);
      client.tabsReady = undefined;
    },
    (e: unknown) => {
      client.log.error('shareAcrossTabs could not load its code; this tab uses a connection of its own.', e);
      client.tabsReady = undefined;
    },
  );
}
