/**
 * Event types the hub itself sends. They carry no `id:` field, so they never move a client's
 * last-event-id, and they are never stored in history.
 */

/** Names of the hub's own events. */
export const SYSTEM_EVENTS = {
  connected: 'connected',
  heartbeat: 'heartbeat',
  reset: 'reset',
  tokenExpired: 'token-expired',
  forceLogout: 'force-logout',
} as const;

/** The type of a hub-generated event. */
export type SystemEventType = (typeof SYSTEM_EVENTS)[keyof typeof SYSTEM_EVENTS];

/** Payload of `event: connected`, the first frame of every stream. */
export interface ConnectedPayload {
  /** Unique id of this connection (for logs and `POST /disconnect`). */
  connectionId: string;
  /** The topics and patterns this stream is subscribed to. */
  topics: string[];
  /** How often the hub sends `event: heartbeat`; clients derive their watchdog from it. */
  heartbeatMs: number;
  /** The hub's clock, ISO-8601 UTC. */
  serverTime: string;
  /**
   * The id this stream continues after: the `Last-Event-ID` the client sent, or, for a fresh
   * stream, the hub's current history position. A client that has not received any event yet
   * resumes from it, so nothing published while it was away is lost. Absent only on the hub's
   * own `$sys` streams, which have no history.
   */
  lastEventId?: string;
}

/** Payload of `event: heartbeat`. */
export interface HeartbeatPayload {
  time: string;
}

/** Why the hub could not replay from the requested id. */
export type ResetReason = 'history-truncated' | 'unknown-id';

/**
 * Payload of `event: reset`: events may have been missed; refetch state, then carry on live.
 * Sent before any replayed or live event on the stream.
 */
export interface ResetPayload {
  reason: ResetReason;
  lastEventId: string;
}

/** Payload of `event: token-expired` (the stream closes right after it). */
export interface TokenExpiredPayload {
  expiredAt: string;
}

/** Payload of `event: force-logout` (the stream closes right after it). */
export interface ForceLogoutPayload {
  reason: string;
}

/** Whether `type` names one of the hub's own events. */
export function isSystemEventType(type: string): type is SystemEventType {
  return (
    type === 'connected' ||
    type === 'heartbeat' ||
    type === 'reset' ||
    type === 'token-expired' ||
    type === 'force-logout'
  );
}
