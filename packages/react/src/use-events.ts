import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';
import { anyTypeMatcher } from './match-type.js';
import type { AppEvent, AppEventOf, EventPattern } from './register.js';
import { useTidingsContext } from './tidings-context.js';
import { useLatest } from './use-latest.js';

/** Options of {@link useEvents}. */
export interface UseEventsOptions<E> {
  /**
   * Event types or globs (`'lease-*'`) to keep; all types when absent or empty. With a
   * registered contract each must be declared or match a declared type (see {@link EventPattern}).
   */
  types?: readonly string[] | undefined;
  /** Only events for which this returns true. Applied when the list is computed. */
  filter?: ((event: E) => boolean) | undefined;
  /**
   * The most events returned (the newest). The client's `bufferSize` (100 by default) bounds
   * what there is to return.
   * @defaultValue all the matching buffered events
   */
  limit?: number | undefined;
}

/**
 * The recent events from the client's buffer (`client.events`) that match `types` and `filter`,
 * oldest first, at most `limit` of them. The component re-renders only when a matching event
 * arrives (or the buffer is cleared on logout): events of other types do not touch it.
 *
 * @example
 * ```tsx
 * const alerts = useEvents({ types: ['alert.raised'], limit: 20 });
 * ```
 * @see useLastEvent
 */
export function useEvents<const P extends string>(
  options: UseEventsOptions<AppEventOf<P>> & { types: readonly EventPattern<P>[] },
): AppEventOf<P>[];
export function useEvents(options?: UseEventsOptions<AppEvent> & { types?: undefined }): AppEvent[];
export function useEvents(options: UseEventsOptions<AppEvent> = {}): AppEvent[] {
  return useEventList('useEvents', options);
}

/** {@link useEvents} without the type checks of its overloads, for the hooks built on it. */
function useEventList(hook: string, options: UseEventsOptions<AppEvent>): AppEvent[] {
  const context = useTidingsContext(hook);
  const { client } = context;
  const { types, filter, limit } = options;
  const typesKey = types ? types.join('\u0000') : '';
  const filterRef = useLatest(filter);
  const version = useRef(0);
  const shown = useRef(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: types compared by value through typesKey
  const subscribe = useCallback(
    (notify: () => void) => {
      const matches = anyTypeMatcher(types);
      const offEvent = client.on('*', (e) => {
        if (!matches(e.type)) return;
        const f = filterRef.current;
        if (f && !f(e)) return;
        version.current++;
        notify();
      });
      // The provider clears the buffer on logout; show that without waiting for an event.
      const offCleared = context.onEventsCleared(() => {
        if (shown.current === 0) return;
        version.current++;
        notify();
      });
      return () => {
        offEvent();
        offCleared();
      };
    },
    [context, client, typesKey, filterRef],
  );
  const v = useSyncExternalStore(
    subscribe,
    () => version.current,
    () => version.current,
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: v is the change signal; types by value
  const list = useMemo(() => {
    const matches = anyTypeMatcher(types);
    let out = client.events.all().filter((e) => matches(e.type) && (!filter || filter(e)));
    if (limit !== undefined && out.length > limit) out = out.slice(out.length - Math.max(0, limit));
    return out;
  }, [client, v, typesKey, filter, limit]);
  shown.current = list.length;
  return list;
}

/**
 * The newest buffered event of `type` (or glob), `undefined` until one arrives. Re-renders only
 * when a new one does.
 * @example
 * ```tsx
 * const last = useLastEvent('job.progress');
 * return <progress value={last?.data.percent ?? 0} max={100} />;
 * ```
 */
export function useLastEvent<const P extends string>(type: EventPattern<P>): AppEventOf<P> | undefined;
export function useLastEvent(type: string): AppEvent | undefined {
  const types = useMemo(() => [type], [type]);
  return useEventList('useLastEvent', { types, limit: 1 })[0];
}
