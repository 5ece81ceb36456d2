import type { EventMeta } from '@tidings/client';
import { useEffect } from 'react';
import { typeMatcher } from './match-type.js';
import type { AppDataOf, AppEvent, RegisteredType } from './register.js';
import { useTidingsContext } from './tidings-context.js';
import { useLatest } from './use-latest.js';

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
 * the handler receives the whole event.
 *
 * @example
 * ```tsx
 * useEvent('lease-added', (lease) => console.log(lease.ip), { filter: (l) => l.pool === pool });
 * ```
 * @see useEvents to render from the recent events instead.
 */
export function useEvent<K extends RegisteredType>(
  type: K,
  handler: (data: AppDataOf<K>, meta: EventMeta<K>) => void,
  options?: UseEventOptions<[AppDataOf<K>, EventMeta<K>]>,
): void;
export function useEvent(
  type: '*',
  handler: (event: AppEvent) => void,
  options?: UseEventOptions<[AppEvent]>,
): void;
export function useEvent(
  type: string,
  handler: (data: unknown, meta: EventMeta) => void,
  options?: UseEventOptions<[unknown, EventMeta]>,
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
    return client.on(type, (data: unknown, meta: EventMeta) => call(data, meta));
  }, [client, type, enabled, handlerRef, filterRef]);
}
