import type { Principal } from '../auth/authorizer.js';
import type { StoredEvent } from './stored-event.js';

/**
 * Marks events that only a protocol face may deliver, on its own authorization (Mercure's private
 * updates, readable with a Mercure token's claims only). The hub's own transports never deliver
 * them, whatever their grants.
 */
export type FaceOnly = (ev: StoredEvent) => boolean;

/** Whether `principal` may receive `ev` on the hub's own transports (after its read grant). */
export type MayReceive = (principal: Principal, ev: StoredEvent) => boolean;

/**
 * Whether targeted delivery (`to: {users, sessions}`) lets `ev` reach `principal`: always for an
 * event without `to`, else when its verified `sub` or session is listed.
 */
export function addressedTo(ev: StoredEvent, principal: Principal): boolean {
  const to = ev.meta?.to;
  if (!to) return true;
  const byUser = principal.user !== undefined && to.users?.includes(principal.user) === true;
  const bySession = principal.session !== undefined && to.sessions?.includes(principal.session) === true;
  return byUser || bySession;
}

/**
 * The one delivery rule of the hub's own transports (event streams and WebSockets, live and on
 * replay): never an event a protocol face keeps to itself, and targeted events only to their
 * addressees.
 */
export function deliveryRule(faceOnly: FaceOnly): MayReceive {
  return (principal, ev) => !faceOnly(ev) && addressedTo(ev, principal);
}
