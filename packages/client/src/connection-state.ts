/**
 * Where the connection is in its life:
 * - `idle`: created, `connect()` not called yet.
 * - `connecting`: the first attempt after `connect()` or `reconnect()` is in flight.
 * - `connected`: the stream is open.
 * - `reconnecting`: the stream was lost; waiting out the backoff or retrying.
 * - `disconnected`: stopped on purpose; `reason` says by whom. `connect()` resumes.
 * - `error`: stopped because retrying cannot help (403, a rejected fresh token, a wrong URL, or
 *   `maxAttempts` reached); `lastError` says what to do. `connect()` tries again.
 */
export type ConnectionStatus =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnected'
  | 'error';

/**
 * Why the client is `disconnected`:
 * - `client`: `disconnect()` was called.
 * - `paused`: `pauseWhenHidden` closed the stream while the page is hidden; it resumes when visible.
 * - `no-content`: the hub answered 204, which tells clients to stop.
 * - `force-logout`: the hub ended the session (`event: force-logout`); `logoutReason` says why.
 */
export type DisconnectReason = 'client' | 'paused' | 'no-content' | 'force-logout';

/** The most recent failure. */
export interface ConnectionError {
  /** A sentence saying what happened and what to do. */
  readonly message: string;
  /** When, in epoch ms. */
  readonly at: number;
  /** The consecutive failure count when it happened. */
  readonly attempt: number;
  /** The HTTP status, when the hub answered with one. */
  readonly status?: number | undefined;
  /** The hub's error code (`forbidden`, `unauthorized`…), when it sent one. */
  readonly code?: string | undefined;
}

/** A snapshot of the connection. Times are epoch milliseconds. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** Consecutive failed attempts; back to 0 once a connection has been up for `backoff.resetAfterMs`. */
  readonly attempt: number;
  readonly lastError: ConnectionError | null;
  readonly lastConnectedAt: number | null;
  /** When the last event (with an id) arrived. */
  readonly lastEventAt: number | null;
  /** The id the next connection resumes from. */
  readonly lastEventId: string | null;
  /** The hub's id for the open stream (from its `connected` event), for logs and support. */
  readonly connectionId: string | null;
  /** When the next attempt is due, while `reconnecting`. */
  readonly nextRetryAt: number | null;
  /** Why the client is `disconnected`; `null` otherwise. */
  readonly reason: DisconnectReason | null;
  /** The hub's reason after `force-logout`; `null` otherwise. */
  readonly logoutReason: string | null;
}

/** The network half of {@link ConnectionState}, owned by whoever holds the connection. */
export type NetworkState = Omit<ConnectionState, 'lastEventId' | 'lastEventAt'>;

/** The state of a client that never connected. */
export const IDLE_STATE: NetworkState = {
  status: 'idle',
  attempt: 0,
  lastError: null,
  lastConnectedAt: null,
  connectionId: null,
  nextRetryAt: null,
  reason: null,
  logoutReason: null,
};
