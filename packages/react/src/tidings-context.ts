import type { TidingsClient } from '@tidings/client';
import { createContext, useContext } from 'react';
import type { ConnectionStore } from './connection-store.js';
import type { RegisteredEvents } from './register.js';

/** What a `TidingsProvider` shares with the hooks below it. */
export interface TidingsContextValue {
  readonly client: TidingsClient<RegisteredEvents>;
  readonly store: ConnectionStore;
  /** Forgets the buffered events and tells {@link onEventsCleared} listeners. */
  clearEvents(): void;
  /** Calls `listener` after `clearEvents()`; returns the unsubscribe function. */
  onEventsCleared(listener: () => void): () => void;
}

/** The provider's context; `null` outside a `TidingsProvider`. */
export const TidingsContext = createContext<TidingsContextValue | null>(null);
TidingsContext.displayName = 'TidingsContext';

/** The nearest provider's value; throws a sentence saying where to put the provider. */
export function useTidingsContext(hook: string): TidingsContextValue {
  const value = useContext(TidingsContext);
  if (!value) {
    throw new Error(
      `${hook} must be called inside a <TidingsProvider>: wrap your app (or this part of it) in <TidingsProvider client={client}> or <TidingsProvider url="/events" topics={[...]}>.`,
    );
  }
  return value;
}
