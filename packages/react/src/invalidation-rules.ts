import { typeMatcher } from './match-type.js';
import type { AppEvent, AppEventOf, CheckedKey, EventCallback, TypeKey } from './register.js';

/** Keys to invalidate, or nothing (`null`, `undefined`, `false`, an empty list). */
export type KeysResult<K> = readonly K[] | null | undefined | false;

/**
 * What one event type (or glob) invalidates: a fixed list of keys, or a function of the event
 * returning them (`(e) => [['actions', e.data.session_id]]`).
 */
export type InvalidationRule<K, E = AppEvent> = readonly K[] | EventCallback<E, KeysResult<K>>;

/**
 * Which cache keys each event invalidates: a map from event types or globs (`'lease-*'`, `'*'`)
 * to rules, or one function of every event. Several patterns may match one event; their keys
 * are merged.
 *
 * @example
 * ```ts
 * { 'lease-*': [['leases'], ['stats', 'pools']], 'action_created': (e) => [['actions', e.data.session_id]] }
 * ```
 */
export type InvalidationRules<K> =
  | { readonly [P in TypeKey]?: InvalidationRule<K, AppEventOf<P>> }
  | ((event: AppEvent) => KeysResult<K>);

/**
 * {@link InvalidationRules} as the hooks take them, with the map's keys `R` checked: with a
 * registered contract, a key that is neither a declared type nor a glob matching one is a compile
 * error at that key (see `EventPattern`).
 */
export type CheckedInvalidationRules<K, R> =
  | { readonly [P in keyof R]: CheckedKey<P, InvalidationRule<K, AppEventOf<P & string>>> }
  | ((event: AppEvent) => KeysResult<K>);

/**
 * An event that patches cached data in place instead of (or before) a refetch: `update` gets the
 * cached value of every entry matching `key` and returns the new one. Entries not loaded yet
 * are left alone.
 * @typeParam K - the cache's key type.
 */
export type UpdateRule<K, E = AppEvent> = (
  | {
      /** The key to patch (TanStack Query: a key prefix; SWR: a target). */
      readonly key: K;
      readonly keyOf?: undefined;
    }
  | {
      readonly key?: undefined;
      /** The key to patch, from the event; `null` patches nothing. */
      readonly keyOf: EventCallback<E, K | null | undefined>;
    }
) & {
  /** Returns the patched value. Do not mutate `current`. */
  // biome-ignore lint/suspicious/noExplicitAny: the cached value's type is the application's
  readonly update: { bivarianceHack(current: any, event: E): unknown }['bivarianceHack'];
};

/** Update rules keyed by event type or glob. */
export type UpdateRules<K> = {
  readonly [P in TypeKey]?: UpdateRule<K, AppEventOf<P>> | readonly UpdateRule<K, AppEventOf<P>>[];
};

/** {@link UpdateRules} with the map's keys `U` checked like {@link CheckedInvalidationRules}. */
export type CheckedUpdateRules<K, U> = {
  readonly [P in keyof U]: CheckedKey<
    P,
    UpdateRule<K, AppEventOf<P & string>> | readonly UpdateRule<K, AppEventOf<P & string>>[]
  >;
};

/**
 * The keys `event` invalidates under `rules`, in order, duplicates included. `dynamic` is told
 * each key a function rule returned.
 */
export function keysForEvent<K>(
  rules: InvalidationRules<K>,
  event: AppEvent,
  dynamic?: (key: K) => void,
): K[] {
  const out: K[] = [];
  const add = (keys: KeysResult<K>, fromFunction: boolean) => {
    if (!keys) return;
    for (const k of keys) {
      out.push(k);
      if (fromFunction) dynamic?.(k);
    }
  };
  if (typeof rules === 'function') add(rules(event), true);
  else {
    for (const [pattern, rule] of Object.entries(rules) as [string, InvalidationRule<K> | undefined][]) {
      if (!rule || !typeMatcher(pattern)(event.type)) continue;
      if (typeof rule === 'function') add(rule(event), true);
      else add(rule, false);
    }
  }
  return out;
}

/** The keys listed literally in `rules` (what a function rule returns is only known per event). */
export function staticKeys<K>(rules: InvalidationRules<K>): K[] {
  if (typeof rules === 'function') return [];
  const out: K[] = [];
  for (const rule of Object.values(rules) as (InvalidationRule<K> | undefined)[]) {
    if (rule && typeof rule !== 'function') out.push(...rule);
  }
  return out;
}

/** The update rules matching `event`. */
export function updatesForEvent<K>(rules: UpdateRules<K> | undefined, event: AppEvent): UpdateRule<K>[] {
  if (!rules) return [];
  const out: UpdateRule<K>[] = [];
  for (const [pattern, rule] of Object.entries(rules) as [string, UpdateRule<K> | undefined][]) {
    if (!rule || !typeMatcher(pattern)(event.type)) continue;
    if (Array.isArray(rule)) out.push(...(rule as readonly UpdateRule<K>[]));
    else out.push(rule as UpdateRule<K>);
  }
  return out;
}
