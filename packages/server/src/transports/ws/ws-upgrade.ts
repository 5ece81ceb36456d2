import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WS_CLOSE, type WsErrorBody } from '@tidings/protocol';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.js';
import type { HubObserver } from '../../core/observer.js';
import { MALFORMED_URL_BODY } from '../../http/answers.js';
import { CONNECTION_CLOSED, type HubRequest, type HubResponse } from '../../http/hub-request.js';
import { nodeRequest } from '../../http/node-request.js';
import { STATUS_TEXT } from '../../http/status-text.js';

/** Completes the handshake of an upgrade the `/ws` route accepted. */
export type Opener = (ws: WebSocket) => void;

/** What an upgrade needs from the WebSocket channel. */
export interface UpgradeContext {
  readonly wss: WebSocketServer;
  /** Upgrade requests in flight; the `/ws` route leaves its opener here. */
  readonly upgrades: WeakMap<HubRequest, { opener?: Opener }>;
  readonly basePath: string;
  readonly log: Logger;
  observers(): Required<HubObserver>;
}

/** A whole-sentence close reason within the 123 bytes a close frame allows. */
function closeReason(s: string): string {
  return Buffer.byteLength(s) <= 123 ? s : `${Buffer.from(s).subarray(0, 119).toString('utf8')}...`;
}

/**
 * Handles a node:http `upgrade` event: runs the request through the hub's middlewares and the
 * `/ws` route (auth, origin, limits), then completes the WebSocket handshake.
 */
export function handleWsUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  handle: (req: HubRequest) => Promise<HubResponse | { kind: string }>,
): void {
  // Until ws takes the socket over, a reset by the peer must not become an uncaught error.
  socket.on('error', () => socket.destroy());
  const abort = new AbortController();
  socket.once('close', () => abort.abort(CONNECTION_CLOSED));
  let hreq: HubRequest;
  try {
    hreq = nodeRequest(req, ctx.basePath, abort);
  } catch {
    rawAnswer(socket, 400, MALFORMED_URL_BODY);
    return;
  }
  const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  if (isWebSocket) ctx.upgrades.set(hreq, {});
  const answered = handle(hreq).then(
    (result) => {
      if (abort.signal.aborted || socket.destroyed) return;
      const opener = ctx.upgrades.get(hreq)?.opener;
      if ('status' in result && result.status === 101 && opener) {
        ctx.wss.handleUpgrade(req, socket, head, opener);
        return;
      }
      if (!('status' in result)) {
        // An event stream (GET /events) asked for with an Upgrade header.
        rawAnswer(socket, 400, {
          error: {
            code: 'bad-request',
            message: `Only /ws accepts WebSocket upgrades; ${hreq.path} is plain HTTP.`,
          },
        });
        return;
      }
      const r = result as HubResponse;
      if (r.status < 400) {
        // Not an upgrade the hub serves (GET /healthz with an Upgrade header): answer as usual.
        rawAnswer(socket, r.status, r.body, r.headers);
        return;
      }
      let error: WsErrorBody;
      try {
        error = (JSON.parse(r.body) as { error: WsErrorBody }).error;
      } catch {
        error = { code: 'internal', message: 'The hub could not open this connection.' };
      }
      // Browsers hide the status of a refused handshake: on /ws, accept it and say why, then
      // close with 4000 + status. A subprotocol we do not speak cannot be accepted at all, and
      // a hub over its memory budget refuses before the handshake costs it a connection.
      if (
        isWebSocket &&
        hreq.path === '/ws' &&
        r.status >= 400 &&
        error.code !== 'unsupported-protocol' &&
        error.option !== 'maxMemoryBytes'
      ) {
        ctx.wss.handleUpgrade(req, socket, head, (ws) => {
          ws.send(JSON.stringify({ op: 'error', status: r.status, error }));
          ws.close(WS_CLOSE.refusedBase + Math.min(r.status, 999), closeReason(error.message));
        });
        return;
      }
      rawAnswer(socket, r.status, { error }, r.headers);
    },
    () =>
      rawAnswer(socket, 500, {
        error: {
          code: 'internal',
          message: 'The hub failed to handle this request; it has been logged. Try again.',
        },
      }),
  );
  answered.catch((err) => {
    // The last resort: an answer that could not be written (a route's header with a line
    // break, a handshake that threw) must not become an unhandled rejection.
    ctx.observers().error('websocket upgrade', err);
    ctx.log.error({ err }, 'websocket upgrade failed');
    socket.destroy();
  });
}

/** Answers on the raw socket as HTTP: a JSON body (an object, or JSON text as is), then close. */
export function rawAnswer(
  socket: Duplex,
  status: number,
  json: object | string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  const body = typeof json === 'string' ? json : JSON.stringify(json);
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`];
  for (const [k, v] of Object.entries({
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  })) {
    // A line break would split the response: refuse it (the caller's last resort closes).
    if (/[\r\n\0]/.test(k) || /[\r\n\0]/.test(v)) {
      throw new TypeError(`The response header ${JSON.stringify(k)} contains a line break or NUL.`);
    }
    lines.push(`${k}: ${v}`);
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
