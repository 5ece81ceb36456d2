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
 * while connecting or reconnecting, `down` (red) otherwise.
 */
export type ConnectionTone = 'live' | 'pending' | 'down';

/** The tone of `status`. */
export function connectionTone(status: ConnectionState['status']): ConnectionTone {
  if (status === 'connected') return 'live';
  if (status === 'connecting' || status === 'reconnecting') return 'pending';
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
