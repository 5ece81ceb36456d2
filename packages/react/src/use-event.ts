import type { EventMeta, TidingsClient } from '@tidings/client';
import { useEffect } from 'react';
import { typeMatcher } from './match-type.js';
import type { AppDataOf, AppEvent, EventPattern } from './register.js';
import { useTidingsContext } from './tidings-context.js';
import { useLatest } from './use-latest.js';

/** The `type` a handler's `meta` carries for pattern `P`: any string for a glob. */
type MetaType<P extends string> = P extends `${string}*${string}` ? string : P;

/** Options of {@link useEvent}. */
export interface UseEventOptions<A extends unknown[]> {
  /** Only events for which this returns true reach the handler. Read at each event. */
  filter?: ((...args: A) => boolean) | undefined;
  /**
   * Whether to listen at all.
   * @defaultValue true
   */
  enabled?: boolean | undefined;
}

/**
 * Calls `handler` with every event of `type`: the payload (typed for declared types, see
 * {@link Register}) and the envelope fields. The handler and the filter are kept in refs, so
 * passing a new function on each render does not resubscribe; the subscription changes only
 * with `type`, `enabled` or the client. Using it never re-renders the component.
 *
 * `type` may be a glob (`'lease-*'`: payload `unknown`), or `'*'` for every event, in which case
 * the handler receives the whole event. With a registered contract, a type that is not declared
 * (or a glob matching none) is a compile error; see {@link EventPattern}.
 *
 * @example
 * ```tsx
 * useEvent('lease-added', (lease) => console.log(lease.ip), { filter: (l) => l.pool === pool });
 * ```
 * @see useEvents to render from the recent events instead.
 */
export function useEvent(
  type: '*',
  handler: (event: AppEvent) => void,
  options?: UseEventOptions<[AppEvent]>,
): void;
export function useEvent<const P extends string>(
  type: EventPattern<P>,
  handler: (data: AppDataOf<P>, meta: EventMeta<MetaType<P>>) => void,
  options?: UseEventOptions<[AppDataOf<P>, EventMeta<MetaType<P>>]>,
): void;
export function useEvent(
  type: string,
  handler: (...args: never[]) => void,
  options: UseEventOptions<never[]> = {},
): void {
  const { client } = useTidingsContext('useEvent');
  const handlerRef = useLatest(handler as (...args: unknown[]) => void);
  const filterRef = useLatest(options.filter as ((...args: unknown[]) => boolean) | undefined);
  const enabled = options.enabled ?? true;

  useEffect(() => {
    if (!enabled) return;
    const call = (...args: unknown[]) => {
      const filter = filterRef.current;
      if (!filter || filter(...args)) handlerRef.current(...args);
    };
    if (type === '*') return client.on('*', (e) => call(e));
    if (type.includes('*')) {
      const matches = typeMatcher(type);
      return client.on('*', (e) => {
        if (matches(e.type)) call(e.data, { id: e.id, topic: e.topic, type: e.type, time: e.time });
      });
    }
    // The overloads above checked `type`; the client is the untyped one for this call.
    return (client as unknown as TidingsClient).on(type, (data: unknown, meta: EventMeta) =>
      call(data, meta),
    );
  }, [client, type, enabled, handlerRef, filterRef]);
}
