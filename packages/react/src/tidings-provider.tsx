import {
  type AnyEventDefinitions,
  type ClientOptions,
  createClient,
  type TidingsClient,
} from '@tidings/client';
import { type ReactNode, useEffect, useMemo } from 'react';
import { createConnectionStore } from './connection-store.js';
import type { RegisteredEvents } from './register.js';
import { TidingsContext, type TidingsContextValue } from './tidings-context.js';

interface CommonProps {
  /** The part of the app that uses the connection. */
  children?: ReactNode;
  /**
   * Whether to be connected. Set it to whether the user is signed in: turning it off disconnects
   * and forgets the buffered events (they belonged to the previous session); turning it on
   * connects, resuming after the last event received.
   * @defaultValue true
   */
  enabled?: boolean | undefined;
}

/** A provider around a client you created yourself. */
export interface TidingsProviderClientProps extends CommonProps {
  /** The client to share. The provider connects and disconnects it (see `enabled`). */
  // biome-ignore lint/suspicious/noExplicitAny: any client; the hooks are typed through Register
  client: TidingsClient<any>;
}

/**
 * A provider that creates its client from `createClient` options. `url` and `topics` are
 * compared by value: changing them replaces the client; the other options are read when the
 * client is created (pass a token function that reads your current token).
 */
export type TidingsProviderOptionsProps = CommonProps &
  ClientOptions<RegisteredEvents extends AnyEventDefinitions ? RegisteredEvents : undefined> & {
    /** Absent: the provider creates its client from these options. */
    client?: undefined;
  };

/** Props of {@link TidingsProvider}: a `client`, or the options to create one. */
export type TidingsProviderProps = TidingsProviderClientProps | TidingsProviderOptionsProps;

/**
 * Shares one connection with every Tidings hook and component below it: put it once near the
 * root of the app. Pass a `client`, or `createClient` options (`url`, `topics`, `events`,
 * `token`…). It connects on mount while `enabled`, disconnects on unmount and when `enabled`
 * turns false.
 *
 * @example
 * ```tsx
 * <TidingsProvider url="/events" topics={['leases']} events={events} enabled={isLoggedIn}>
 *   <App />
 * </TidingsProvider>
 * ```
 * @see useClient
 * @see useConnection
 */
export function TidingsProvider(props: TidingsProviderProps): ReactNode {
  const { children, enabled = true } = props;
  const given = props.client;
  const options = given ? undefined : (props as TidingsProviderOptionsProps);
  const optionsKey = options ? `${String(options.url)}\n${(options.topics ?? []).join('\n')}` : '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: url and topics compared by value through optionsKey
  const owned = useMemo(() => {
    if (!options) return undefined;
    const { children: _c, enabled: _e, client: _cl, ...clientOptions } = options;
    return createClient(clientOptions as ClientOptions<AnyEventDefinitions | undefined>);
  }, [optionsKey, !options]);
  const client = (given ?? owned) as TidingsClient<RegisteredEvents>;
  const value = useMemo<TidingsContextValue>(() => {
    const cleared = new Set<() => void>();
    return {
      client,
      store: createConnectionStore(client),
      clearEvents() {
        client.events.clear();
        for (const l of cleared) l();
      },
      onEventsCleared(listener) {
        cleared.add(listener);
        return () => cleared.delete(listener);
      },
    };
  }, [client]);

  useEffect(() => value.store.follow(), [value]);

  useEffect(() => {
    if (!enabled) {
      value.clearEvents();
      return;
    }
    client.connect();
    return () => client.disconnect();
  }, [client, value, enabled]);

  return <TidingsContext.Provider value={value}>{children}</TidingsContext.Provider>;
}
