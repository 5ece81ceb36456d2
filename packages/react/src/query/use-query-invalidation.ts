import { hashKey, type QueryClient, type QueryKey, useQueryClient } from '@tanstack/react-query';
import type {
  CheckedInvalidationRules,
  CheckedUpdateRules,
  InvalidationRules,
} from '../invalidation-rules.js';
import { type InvalidationOptions, useEventInvalidation } from '../use-event-invalidation.js';

type UpdateRulesOf<K> = NonNullable<InvalidationOptions<K>['updates']>;

/** Options of {@link useQueryInvalidation}. */
export interface UseQueryInvalidationOptions<U = UpdateRulesOf<QueryKey>>
  extends Omit<InvalidationOptions<QueryKey>, 'updates'> {
  /** Events that patch cached data in place, applied at once for each event (not coalesced). */
  updates?: CheckedUpdateRules<QueryKey, U> | undefined;
  /** The query client; the one from `QueryClientProvider` by default. */
  queryClient?: QueryClient | undefined;
  /**
   * Which queries a key refetches (TanStack's `refetchType`): `'active'` only those on screen
   * (the others are marked stale and refetch when used), `'all'`, or `'none'`.
   * @defaultValue 'active'
   */
  refetchType?: 'active' | 'inactive' | 'all' | 'none' | undefined;
}

/**
 * Invalidates TanStack Query caches when events arrive: each key is a query-key prefix passed
 * to `queryClient.invalidateQueries({ queryKey })`. A burst of events costs one refetch per key
 * per `coalesceMs` (100 ms by default); after a reset (events may have been missed) every mapped
 * key is invalidated. `updates` patch cached data in place with `setQueriesData`.
 *
 * @example
 * ```tsx
 * useQueryInvalidation({
 *   'lease-*': [['leases'], ['stats', 'pools']],
 *   action_created: (e) => [['actions', e.data.session_id]],
 * });
 * ```
 * With a registered contract, a key of `rules` or `updates` that is neither a declared type nor
 * a glob matching one is a compile error.
 * @see InvalidationRules
 */
export function useQueryInvalidation<R, U = UpdateRulesOf<QueryKey>>(
  rules: CheckedInvalidationRules<QueryKey, R>,
  options: UseQueryInvalidationOptions<U> = {},
): void {
  const queryClient = useQueryClient(options.queryClient);
  const refetchType = options.refetchType ?? 'active';
  useEventInvalidation<QueryKey>(
    'useQueryInvalidation',
    rules as InvalidationRules<QueryKey>,
    {
      hash: hashKey,
      invalidate: (queryKey) => void queryClient.invalidateQueries({ queryKey, refetchType }),
      invalidateAll: () => void queryClient.invalidateQueries({ refetchType }),
      update: (queryKey, patch) =>
        queryClient.setQueriesData({ queryKey }, (current: unknown) =>
          current === undefined ? undefined : patch(current),
        ),
    },
    options as InvalidationOptions<QueryKey>,
  );
}
