import { sha256 } from '../core/node-builtins.js';
import type { Principal } from './authorizer.js';

/**
 * The idempotency scope of the hub's own backend: the publisher key over HTTP and `hub.publish`
 * in-process, which are one party (the application's servers).
 */
export const BACKEND_PUBLISHER = 'backend';

/**
 * The opaque key of whoever publishes with `principal`, which scopes supplied event ids: an id is
 * idempotent per (publisher, topic), so a duplicate answer only ever returns the caller's own
 * event and no publisher can pre-empt another's id.
 *
 * - The publisher key (`principal.trusted`) is {@link BACKEND_PUBLISHER}, like `hub.publish`.
 * - A token is its (`realm`, tenant, `sub`): the same user publishing with a fresh token (or from
 *   another session) still de-duplicates its retries; the same `sub` in two tenants, or in the
 *   Mercure realm, is a different publisher. An anonymous publisher (no `sub`, as in development
 *   mode) is one publisher per tenant.
 *
 * Hashed (SHA-256, 128 bits kept), so stores hold a short fixed-size key and no user ids.
 * @param realm which kind of credential the principal comes from: the hub's own tokens, or the
 *   Mercure face's, whose keys and claims are separate.
 */
export function publisherKey(principal: Principal, realm: 'tidings' | 'mercure' = 'tidings'): string {
  if (principal.trusted === true) return BACKEND_PUBLISHER;
  const who = JSON.stringify([realm, principal.tenant ?? null, principal.user ?? null]);
  return `p:${sha256(who, 'base64url', 'Keying a publisher').slice(0, 22)}`;
}
