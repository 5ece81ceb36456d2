import { useEffect, useState } from 'react';
import {
  type ConnectionTone,
  type ConnectionToneOptions,
  connectionTone,
  DEFAULT_CONNECTION_TONE,
} from './connection-labels.js';
import type { ConnectionSnapshot } from './connection-store.js';
import { useConnection } from './use-connection.js';

const statusOf = (s: ConnectionSnapshot) => s.status;
const attemptOf = (s: ConnectionSnapshot) => s.attempt;

/**
 * The connection's tone for an indicator of your own, as `<ConnectionStatus>` shows it: `live`,
 * `pending` while (re)connecting, and `down` once a reconnection attempt has failed too
 * (`downAfterAttempts`, 2) or the client has been trying for `downAfterMs` (10 s). Re-renders only
 * when the tone can change.
 * @example
 * ```tsx
 * const tone = useConnectionTone({ downAfterMs: 5000 });
 * return <span className={`dot dot--${tone}`} />;
 * ```
 * @see ConnectionToneOptions
 */
export function useConnectionTone(options: ConnectionToneOptions = {}): ConnectionTone {
  const status = useConnection(statusOf);
  const attempt = useConnection(attemptOf);
  const downAfterMs = options.downAfterMs ?? DEFAULT_CONNECTION_TONE.downAfterMs;
  const downAfterAttempts = options.downAfterAttempts ?? DEFAULT_CONNECTION_TONE.downAfterAttempts;
  const trying = status === 'connecting' || status === 'reconnecting';
  const [overdue, setOverdue] = useState(false);
  // The outage runs from the moment the client started trying (connecting → reconnecting is one).
  useEffect(() => {
    setOverdue(false);
    if (!trying || !Number.isFinite(downAfterMs)) return;
    const timer = setTimeout(() => setOverdue(true), Math.max(0, downAfterMs));
    return () => clearTimeout(timer);
  }, [trying, downAfterMs]);
  return connectionTone(status, { attempt, overdue: trying && overdue, downAfterAttempts });
}
