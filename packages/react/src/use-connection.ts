import { useStore } from 'zustand';
import type { ConnectionSnapshot } from './connection-store.js';
import { useTidingsContext } from './tidings-context.js';

const identity = (s: ConnectionSnapshot) => s;

/**
 * Selects from the connection state of the nearest `TidingsProvider` (a Zustand store fed by the
 * client). The component re-renders only when the selected value changes (`Object.is`), so
 * select primitives or stable objects: `useConnection((s) => s.status)`.
 *
 * Without a selector it returns the whole snapshot, which changes with every event (its
 * `lastEventAt`); prefer a selector.
 * @see createConnectionStore
 */
export function useConnection(): ConnectionSnapshot;
export function useConnection<T>(selector: (state: ConnectionSnapshot) => T): T;
export function useConnection<T>(selector?: (state: ConnectionSnapshot) => T): T | ConnectionSnapshot {
  const { store } = useTidingsContext('useConnection');
  return useStore(store, (selector ?? identity) as (state: ConnectionSnapshot) => T | ConnectionSnapshot);
}
