import type { ForceLogoutPayload, ResetInfo } from '@tidings/client';
import { useEffect } from 'react';
import { useTidingsContext } from './tidings-context.js';
import { useLatest } from './use-latest.js';

/**
 * Calls `handler` when the hub ends the session (`event: force-logout`, for example after
 * `POST /disconnect` or a revoked token). The client has already stopped (status `disconnected`,
 * reason `force-logout`) and will not reconnect on its own: sign the user out and route them to
 * the sign-in page, then set the provider's `enabled` to false.
 *
 * @example
 * ```tsx
 * useForceLogout(({ reason }) => {
 *   auth.logout();
 *   router.push(`/login?reason=${encodeURIComponent(reason)}`);
 * });
 * ```
 */
export function useForceLogout(handler: (payload: ForceLogoutPayload) => void): void {
  const { client } = useTidingsContext('useForceLogout');
  const ref = useLatest(handler);
  useEffect(() => client.onForceLogout((p) => ref.current(p)), [client, ref]);
}

/**
 * Calls `handler` when events may have been missed (the hub could not replay, or the client
 * reconnected before any event gave it a resume point): refetch what you derive from events.
 * The invalidation hooks already do this for the keys they map.
 */
export function useReset(handler: (reset: ResetInfo) => void): void {
  const { client } = useTidingsContext('useReset');
  const ref = useLatest(handler);
  useEffect(() => client.onReset((r) => ref.current(r)), [client, ref]);
}
