import type { ConnectionState } from '@tidings/client';

/** The texts of the status indicator; override them to translate. */
export interface ConnectionLabels {
  /** @defaultValue 'Live' */
  connected: string;
  /** @defaultValue 'Connecting…' */
  connecting: string;
  /** @defaultValue (n) => `Reconnecting (attempt ${n})…` */
  reconnecting: (attempt: number) => string;
  /** Also used for `idle` and `error`. @defaultValue 'Disconnected' */
  disconnected: string;
}

/** The default {@link ConnectionLabels}. */
export const DEFAULT_CONNECTION_LABELS: ConnectionLabels = {
  connected: 'Live',
  connecting: 'Connecting…',
  reconnecting: (attempt) => `Reconnecting (attempt ${attempt})…`,
  disconnected: 'Disconnected',
};

/**
 * The colour family of a status, for styling: `live` (green) when connected, `pending` (yellow)
 * while connecting or reconnecting, `down` (red) when stopped, or when an outage has lasted (see
 * {@link ConnectionToneOptions}).
 */
export type ConnectionTone = 'live' | 'pending' | 'down';

/** When a connection that is still being retried counts as down (red) rather than pending. */
export interface ConnectionToneOptions {
  /**
   * Consecutive failed attempts after which `reconnecting` is `down`. The default 2 means: the
   * connection was lost, and the first attempt to get it back failed too, so the hub is really
   * unreachable rather than restarting. `Infinity` keeps it yellow.
   * @defaultValue 2
   */
  downAfterAttempts?: number | undefined;
  /**
   * How long, in ms, `connecting` or `reconnecting` may last before it is `down`, however few
   * attempts were made (an attempt can hang for a while). `Infinity` never.
   * @defaultValue 10000
   */
  downAfterMs?: number | undefined;
}

/** The defaults of {@link ConnectionToneOptions}. */
export const DEFAULT_CONNECTION_TONE: Readonly<Required<ConnectionToneOptions>> = {
  downAfterAttempts: 2,
  downAfterMs: 10_000,
};

/**
 * The tone of `status`. Given the failed-attempt count and {@link ConnectionToneOptions}, a
 * `reconnecting` status with `attempt >= downAfterAttempts`, or one pending for longer than
 * `downAfterMs` (`overdue`), is `down`. Without them, `connecting` and `reconnecting` are
 * always `pending`.
 * @see useConnectionTone, which tracks `overdue` for you.
 */
export function connectionTone(
  status: ConnectionState['status'],
  detail: { attempt?: number; overdue?: boolean; downAfterAttempts?: number | undefined } = {},
): ConnectionTone {
  if (status === 'connected') return 'live';
  if (status === 'connecting' || status === 'reconnecting') {
    if (detail.overdue) return 'down';
    const after = detail.downAfterAttempts ?? Number.POSITIVE_INFINITY;
    return status === 'reconnecting' && (detail.attempt ?? 0) >= after ? 'down' : 'pending';
  }
  return 'down';
}

/** The indicator's label for a state. */
export function connectionLabel(
  state: Pick<ConnectionState, 'status' | 'attempt'>,
  labels: Partial<ConnectionLabels> = {},
): string {
  const l = { ...DEFAULT_CONNECTION_LABELS, ...labels };
  switch (state.status) {
    case 'connected':
      return l.connected;
    case 'connecting':
      return l.connecting;
    case 'reconnecting':
      return l.reconnecting(Math.max(1, state.attempt));
    default:
      return l.disconnected;
  }
}

/** A sentence on why the client is not connected, or `null` while it is (or is trying). */
export function disconnectedReason(state: ConnectionState): string | null {
  if (state.status === 'idle') return 'Not started.';
  if (state.status === 'error') return 'Stopped after an error; connect to try again.';
  if (state.status !== 'disconnected') return null;
  switch (state.reason) {
    case 'paused':
      return 'Paused while the page is hidden; resumes when it is visible.';
    case 'no-content':
      return 'The hub asked this client to stop (204).';
    case 'force-logout':
      return `Signed out by the server${state.logoutReason ? ` (${state.logoutReason})` : ''}.`;
    default:
      return 'Disconnected on purpose.';
  }
}
