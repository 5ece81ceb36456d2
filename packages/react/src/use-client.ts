import type { TidingsClient } from '@tidings/client';
import type { RegisteredEvents } from './register.js';
import { useTidingsContext } from './tidings-context.js';

/**
 * The client of the nearest `TidingsProvider`, typed by your {@link Register} augmentation: for
 * `connect()`, `disconnect()`, `reconnect()`, `stats` and anything the hooks do not cover.
 * Reading it does not subscribe to anything, so it never re-renders the component.
 * @throws Error outside a `TidingsProvider`.
 */
export function useClient(): TidingsClient<RegisteredEvents> {
  return useTidingsContext('useClient').client;
}
