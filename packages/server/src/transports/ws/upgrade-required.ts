import { HubError } from '../../core/errors.js';

/** The answer to `GET /ws` without a WebSocket upgrade (or on a server that does not pass upgrades on). */
export function upgradeRequired(): HubError {
  return new HubError(
    426,
    'upgrade-required',
    'GET /ws is the WebSocket endpoint: connect with a WebSocket client. A server made with http.createServer(hub.handleNode) must also pass upgrades on: server.on("upgrade", hub.handleUpgrade), or use createHubServer.',
    undefined,
    { upgrade: 'websocket' },
  );
}
