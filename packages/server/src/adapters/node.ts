/**
 * `@tidings/server/node`: the hub inside a plain node:http app.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub, UpgradeHandler } from '../core/hub-types.js';
import { relativePath } from '../http/hub-request.js';
import { STREAM_FRONT } from '../http/stream-front.js';

/** A node:http request listener that also carries the hub's WebSocket upgrade handler. */
export type TidingsNodeListener = ((req: IncomingMessage, res: ServerResponse) => void) & {
  readonly handleUpgrade: UpgradeHandler;
};

/** The parts of a hub the adapters use. */
export type AdaptedHub = Pick<Hub, 'handleNode' | 'handleUpgrade' | 'fetch' | 'options'>;

/** Whether a request path lies under the hub's `basePath` (always, when it has none). */
export function isHubPath(hub: Pick<Hub, 'options'>, url: string | undefined): boolean {
  const q = (url ?? '/').indexOf('?');
  const pathname = q === -1 ? (url ?? '/') : (url ?? '/').slice(0, q);
  return relativePath(pathname, hub.options.basePath) !== undefined;
}

/**
 * A node:http request listener serving the hub under its `basePath` and passing every other
 * request to `fallback` (your app). Without `fallback`, other requests get the hub's JSON 404.
 * `createHubServer(listener)` also serves the hub's WebSocket channel; with
 * `http.createServer(listener)`, call `attachWebSocket(server, hub)`.
 * @example
 * ```ts
 * const hub = createHub({ basePath: '/live' });
 * createHubServer(tidingsNode(hub, (req, res) => res.end('my app'))).listen(8080);
 * ```
 * @see createHubServer, attachWebSocket
 */
export function tidingsNode(
  hub: AdaptedHub,
  fallback?: (req: IncomingMessage, res: ServerResponse) => void,
): TidingsNodeListener {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (fallback && !isHubPath(hub, req.url)) fallback(req, res);
    else hub.handleNode(req, res);
  };
  // Carries the hub's stream front too, so createHubServer(listener) serves streams lean; paths
  // outside basePath are not the hub's and still reach `fallback` through node:http.
  const front = (hub.handleNode as { [STREAM_FRONT]?: unknown })[STREAM_FRONT];
  if (front !== undefined) Object.defineProperty(listener, STREAM_FRONT, { value: front });
  return Object.assign(listener, { handleUpgrade: hub.handleUpgrade });
}
