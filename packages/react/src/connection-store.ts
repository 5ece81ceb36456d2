import type { AnyEventDefinitions, ConnectionState, TidingsClient } from '@tidings/client';
import { createStore, type StoreApi } from 'zustand/vanilla';

/** What {@link useConnection} selects from: the client's state and its tab role. */
export interface ConnectionSnapshot extends ConnectionState {
  /** `solo`, or with `shareAcrossTabs` `leader` / `follower`. */
  readonly role: 'solo' | 'leader' | 'follower';
}

/** A vanilla Zustand store mirroring one client's connection state. */
export type ConnectionStore = StoreApi<ConnectionSnapshot> & {
  /**
   * Starts following the client (its `onState` and each event) and returns the function that
   * stops. `TidingsProvider` calls it in an effect, so a render that is thrown away leaves no
   * listener behind.
   */
  follow(): () => void;
};

/**
 * Creates a vanilla Zustand store fed by `client`. It follows `onState` and, because the client
 * does not report every event there, also each event (for `lastEventAt` and `lastEventId`). The
 * store changes only when the client's state object does, so the selectors of `useConnection`
 * alone decide what re-renders. Use it outside React with `store.getState()` and
 * `store.subscribe()` after `store.follow()`.
 * @see useConnection
 */
export function createConnectionStore<D extends AnyEventDefinitions | undefined>(
  client: TidingsClient<D>,
): ConnectionStore {
  let last = client.state;
  let lastRole = client.role;
  const store = createStore<ConnectionSnapshot>(() => ({ ...last, role: lastRole }));
  const sync = () => {
    if (client.state === last && client.role === lastRole) return;
    last = client.state;
    lastRole = client.role;
    store.setState({ ...last, role: lastRole }, true);
  };
  return Object.assign(store, {
    follow() {
      const offs = [client.onState(sync), client.on('*', sync)];
      sync();
      return () => {
        for (const off of offs) off();
      };
    },
  });
}
