import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { firstByteTimeout, headTimeout, rawJson } from './raw-response.js';
import { type ResolvedServerLimits, resolveServerLimits, type ServerLimits } from './server-limit-options.js';
import { installStreamFront, STREAM_FRONT, type StreamFrontTarget } from './stream-front.js';

export { type ResolvedServerLimits, resolveServerLimits, type ServerLimits };

/** Options of {@link createHubServer}: the {@link ServerLimits}, and how event streams are served. */
export interface HubServerOptions extends ServerLimits {
  /**
   * Serve `GET /events` (and the Mercure subscribe path) straight from the socket, without
   * node:http's per-request objects: an idle stream then costs about 5.5 KiB of server memory
   * instead of 12. Only plain body-less `GET` heads are served this way, and only ones node:http
   * would accept too (read a byte at a time at most once, never past node's header count); every
   * other request, and anything unusual in one, goes to node:http as before, as does a stream asked for on a
   * connection that already carried another request (the front reads only the first). The one
   * difference visible to your code: such a stream request emits no `'request'` event.
   * @defaultValue true
   */
  leanStreams?: boolean | undefined;
}

const answered = new WeakSet<Socket>();
const served = new WeakSet<Socket>();

/**
 * Applies {@link ServerLimits} to an existing `node:http` server: timeouts, a first-byte deadline
 * for new connections, and JSON error answers (`408`, `431`, `400`) for requests `node:http`
 * refuses before the hub sees them. `maxHeaderBytes` can only be set when the server is created:
 * pass {@link hubServerOptions} to `http.createServer`, or use {@link createHubServer}.
 */
export function hardenServer(server: Server, limits: ServerLimits = {}): void {
  const l = resolveServerLimits(limits);
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.on('connection', (socket: Socket) => socket.setTimeout(l.firstByteTimeoutMs));
  const serving = (req: IncomingMessage) => {
    served.add(req.socket);
    req.socket.setTimeout(0);
  };
  server.on('request', serving);
  // A WebSocket upgrade is a request too; the first-byte deadline must not cut the socket later.
  server.on('upgrade', serving);
  // node:http destroys a timed-out socket unless someone listens; only our first-byte deadline
  // sets socket timeouts, so this answers exactly those.
  server.on('timeout', (socket: Socket) => {
    if (!served.has(socket) && socket.writable && !answered.has(socket)) {
      answered.add(socket);
      socket.end(firstByteTimeout(l));
    }
    socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable || answered.has(socket)) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      socket.end(
        rawJson(
          431,
          'headers-too-large',
          `The request head is larger than ${l.maxHeaderBytes} bytes; send fewer or shorter headers and cookies.`,
          { limit: l.maxHeaderBytes, option: 'maxHeaderBytes' },
        ),
      );
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end(headTimeout(l));
    } else {
      socket.end(
        rawJson(400, 'bad-request', 'The request is not valid HTTP/1.1; check what your client sends.'),
      );
    }
  });
}

/** Options for `http.createServer` that enforce the limits only settable at creation. */
export function hubServerOptions(limits: ServerLimits = {}): {
  /** `ServerLimits.maxHeaderBytes`: the largest request head node:http accepts, in bytes. */
  maxHeaderSize: number;
  /** `ServerLimits.headersTimeoutMs`: time to receive the whole request head, in ms. */
  headersTimeout: number;
  /** `ServerLimits.requestTimeoutMs`: time to receive a whole request, in ms. */
  requestTimeout: number;
  /** `ServerLimits.keepAliveTimeoutMs`: how long an idle keep-alive connection stays open, in ms. */
  keepAliveTimeout: number;
  /** How often node:http checks the two timeouts above, in ms. */
  connectionsCheckingInterval: number;
} {
  const l = resolveServerLimits(limits);
  return {
    maxHeaderSize: l.maxHeaderBytes,
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // How often node:http checks the two timeouts above; a quarter keeps the overshoot small.
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(l.headersTimeoutMs / 4))),
  };
}

/** A node:http `upgrade` listener, such as `hub.handleUpgrade`. */
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Passes a server's WebSocket upgrades to the hub (`GET /ws`). Needed with
 * `http.createServer(hub.handleNode)`; `createHubServer(hub.handleNode)` does it itself.
 * @example
 * ```ts
 * const server = http.createServer(hub.handleNode);
 * attachWebSocket(server, hub);
 * ```
 */
export function attachWebSocket(server: Server, hub: { readonly handleUpgrade: UpgradeListener }): void {
  server.on('upgrade', hub.handleUpgrade);
}

/**
 * A `node:http` server for a hub with every {@link ServerLimits} applied: use it instead of
 * `http.createServer(hub.handleNode)` when the hub faces the internet directly. Given
 * `hub.handleNode`, it also serves the hub's WebSocket channel (`GET /ws`).
 * @example
 * ```ts
 * createHubServer(hub.handleNode, { maxHeaderBytes: 8192 }).listen(8080);
 * ```
 */
export function createHubServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: HubServerOptions = {},
): Server {
  const server = createServer(hubServerOptions(options), handler);
  hardenServer(server, options);
  // hub.handleNode carries its hub's upgrade handler and stream front.
  const upgrade = (handler as { handleUpgrade?: UpgradeListener }).handleUpgrade;
  if (typeof upgrade === 'function') server.on('upgrade', upgrade);
  const front = (handler as { [STREAM_FRONT]?: StreamFrontTarget })[STREAM_FRONT];
  if (front !== undefined && options.leanStreams !== false)
    installStreamFront(server, front, resolveServerLimits(options));
  return server;
}
