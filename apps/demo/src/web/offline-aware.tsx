import { useClient } from '@tidings/react';
import { useEffect } from 'react';

/**
 * Drops the connection as soon as the browser reports it is offline. The client already retries
 * at once when the browser comes back online, but an open WebSocket or stream is not closed by
 * the browser going offline: without this the label would stay "Live" until the heartbeat
 * watchdog fires (three missed heartbeats, 15 s here).
 */
export function OfflineAware(): null {
  const client = useClient();
  useEffect(() => {
    const offline = () => client.reconnect();
    window.addEventListener('offline', offline);
    return () => window.removeEventListener('offline', offline);
  }, [client]);
  return null;
}
