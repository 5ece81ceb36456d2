import { useEffect } from 'react';
import {
  type InvalidationRules,
  keysForEvent,
  staticKeys,
  type UpdateRule,
  type UpdateRules,
  updatesForEvent,
} from './invalidation-rules.js';
import { type CoalescerTimers, DEFAULT_COALESCE_MS, KeyCoalescer } from './key-coalescer.js';
import type { AppEvent } from './register.js';
import { useTidingsContext } from './tidings-context.js';
import { useLatest } from './use-latest.js';

/** Options shared by `useQueryInvalidation` and `useSWRInvalidation`. */
export interface InvalidationOptions<K> {
  /**
   * The coalescing window: a key is invalidated at most once per window, however many events ask
   * for it; `0` invalidates at once for every event.
   * @defaultValue 100
   */
  coalesceMs?: number | undefined;
  /**
   * What to invalidate when events may have been missed (`onReset`): `'mapped'` invalidates
   * every key listed in the rules plus the keys function rules returned lately, `'all'` the
   * whole cache, `false` nothing.
   * @defaultValue 'mapped'
   */
  onReset?: 'mapped' | 'all' | false | undefined;
  /** Events that patch cached data in place, applied at once for each event (not coalesced). */
  updates?: UpdateRules<K> | undefined;
  /**
   * Whether to listen.
   * @defaultValue true
   */
  enabled?: boolean | undefined;
  /** Timers for the coalescing window (tests). @defaultValue globalThis */
  timers?: CoalescerTimers | undefined;
}

/** What an adapter (TanStack Query, SWR) provides to {@link useEventInvalidation}. */
export interface CacheAdapter<K> {
  /** A stable identity for a key, for coalescing. */
  hash(key: K): string;
  /** Invalidates (refetches) the entries under `key`. */
  invalidate(key: K): void;
  /** Invalidates every entry. */
  invalidateAll(): void;
  /** Patches the cached entries under `key`. */
  update(key: K, patch: (current: unknown) => unknown): void;
}

/** How many keys returned by function rules are remembered for `onReset: 'mapped'`. */
const REMEMBERED_KEYS = 256;

/**
 * The engine of the invalidation hooks: maps each event to keys through `rules`, coalesces them
 * per key, applies `updates`, and invalidates on reset. Adapters stay thin: they only say how to
 * hash, invalidate and patch a key.
 */
export function useEventInvalidation<K>(
  hook: string,
  rules: InvalidationRules<K>,
  adapter: CacheAdapter<K>,
  options: InvalidationOptions<K> = {},
): void {
  const { client } = useTidingsContext(hook);
  const rulesRef = useLatest(rules);
  const updatesRef = useLatest(options.updates);
  const adapterRef = useLatest(adapter);
  const onResetRef = useLatest(options.onReset ?? 'mapped');
  const { coalesceMs = DEFAULT_COALESCE_MS, timers, enabled = true } = options;

  useEffect(() => {
    if (!enabled) return;
    const coalescer = new KeyCoalescer<K>(coalesceMs, (key) => adapterRef.current.invalidate(key), timers);
    const remembered = new Map<string, K>();
    const request = (key: K) => coalescer.request(adapterRef.current.hash(key), key);

    const offEvent = client.on('*', (event) => {
      const e = event as AppEvent;
      for (const rule of updatesForEvent(updatesRef.current, e)) applyUpdate(adapterRef.current, rule, e);
      const keys = keysForEvent(rulesRef.current, e, (key) => {
        const h = adapterRef.current.hash(key);
        remembered.delete(h);
        remembered.set(h, key);
        if (remembered.size > REMEMBERED_KEYS) remembered.delete(remembered.keys().next().value as string);
      });
      for (const key of keys) request(key);
    });
    const offReset = client.onReset(() => {
      const mode = onResetRef.current;
      if (mode === false) return;
      if (mode === 'all') {
        adapterRef.current.invalidateAll();
        return;
      }
      for (const key of staticKeys(rulesRef.current)) request(key);
      for (const key of remembered.values()) request(key);
    });
    return () => {
      offEvent();
      offReset();
      coalescer.cancel();
    };
  }, [client, enabled, coalesceMs, timers, rulesRef, updatesRef, adapterRef, onResetRef]);
}

function applyUpdate<K>(adapter: CacheAdapter<K>, rule: UpdateRule<K>, event: AppEvent): void {
  const key = rule.keyOf ? rule.keyOf(event) : rule.key;
  if (key === null || key === undefined) return;
  adapter.update(key, (current) => rule.update(current, event));
}
