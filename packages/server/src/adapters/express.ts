/**
 * `@tidings/server/express`: the hub as Express 5 middleware.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdaptedHub, isHubPath } from './node.js';

/** What Express hands a middleware, as far as the hub needs it. */
type ExpressRequest = IncomingMessage & { originalUrl?: string; _body?: boolean };

const BODY_READ = JSON.stringify({
  error: {
    code: 'body-already-read',
    message:
      'Another middleware (such as express.json()) already read this request body; mount tidingsExpress(hub) before body parsers.',
  },
});

/**
 * Express middleware serving the hub under its `basePath`; other requests go on to `next()`.
 * It sees the whole URL (`req.originalUrl`) whatever path it is mounted at, so set the prefix
 * once, as the hub's `basePath`. Mount it before body parsers: the hub reads its own bodies.
 * The hub's streams say `Cache-Control: no-transform`, which the `compression` middleware
 * honours, so events are not held back by it. WebSocket: `attachWebSocket(server, hub)` on the
 * server `app.listen` returns.
 * @example
 * ```ts
 * const hub = createHub({ basePath: '/live' });
 * const app = express();
 * app.use(tidingsExpress(hub));
 * attachWebSocket(app.listen(8080), hub);
 * ```
 * @see attachWebSocket
 */
export function tidingsExpress(
  hub: AdaptedHub,
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req: ExpressRequest, res, next) => {
    const url = req.originalUrl ?? req.url;
    if (!isHubPath(hub, url)) {
      next();
      return;
    }
    if (req._body === true || req.readableEnded) {
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(BODY_READ);
      return;
    }
    // A mount path strips its prefix from req.url; the hub routes by the full path.
    req.url = url;
    hub.handleNode(req, res);
  };
}
