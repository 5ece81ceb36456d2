import { useSWRConfig } from 'swr';
import type {
  CheckedInvalidationRules,
  CheckedUpdateRules,
  InvalidationRules,
} from '../invalidation-rules.js';
import { type InvalidationOptions, useEventInvalidation } from '../use-event-invalidation.js';
import { type SWRTarget, swrKeyMatcher } from './swr-key-matcher.js';

type UpdateRulesOf<K> = NonNullable<InvalidationOptions<K>['updates']>;

/** Options of {@link useSWRInvalidation}; `updates` keys are checked like the rules' keys. */
export type UseSWRInvalidationOptions<U = UpdateRulesOf<SWRTarget>> = Omit<
  InvalidationOptions<SWRTarget>,
  'updates'
> & {
  /** Events that patch cached data in place, applied at once for each event (not coalesced). */
  updates?: CheckedUpdateRules<SWRTarget, U> | undefined;
};

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

function hashTarget(target: SWRTarget): string {
  if (typeof target === 'function') {
    let id = functionIds.get(target);
    if (id === undefined) {
      id = ++nextFunctionId;
      functionIds.set(target, id);
    }
    return `fn:${id}`;
  }
  return typeof target === 'string' ? `s:${target}` : `a:${JSON.stringify(target)}`;
}

/**
 * Revalidates SWR caches when events arrive, through `mutate(keyFilter)` of the nearest
 * `SWRConfig`: components using `useSWR` refetch without any change. Targets are strings (a
 * URL and everything under it), array-key prefixes or key predicates (see {@link SWRTarget}).
 * A burst costs one revalidation per target per `coalesceMs` (100 ms by default); function
 * targets are coalesced by identity, so define them once. After a reset every mapped target is
 * revalidated. `updates` patch cached data without revalidating. With a registered contract, a
 * key of `rules` or `updates` that is neither a declared type nor a glob matching one is a
 * compile error.
 *
 * @example
 * ```tsx
 * useSWRInvalidation({
 *   'action_*': (e) => [`/actions?coaching_session_id=${e.data.coaching_session_id}`],
 *   'agreement_*': ['/agreements'],
 *   'goal_*': ['/overarching_goals'],
 * });
 * ```
 */
export function useSWRInvalidation<R, U = UpdateRulesOf<SWRTarget>>(
  rules: CheckedInvalidationRules<SWRTarget, R>,
  options: UseSWRInvalidationOptions<U> = {},
): void {
  const { mutate } = useSWRConfig();
  useEventInvalidation<SWRTarget>(
    'useSWRInvalidation',
    rules as InvalidationRules<SWRTarget>,
    {
      hash: hashTarget,
      invalidate: (target) => void mutate(swrKeyMatcher(target)),
      invalidateAll: () => void mutate(() => true),
      update: (target, patch) =>
        void mutate(
          swrKeyMatcher(target),
          (current: unknown) => (current === undefined ? undefined : patch(current)),
          { revalidate: false },
        ),
    },
    options as InvalidationOptions<SWRTarget>,
  );
}
