/**
 * `@tidings/server/hono`: the hub as a Hono handler (on `@hono/node-server`, Bun or Deno).
 * @packageDocumentation
 */
import type { Context } from 'hono';
import type { AdaptedHub } from './node.js';

/** Where `@hono/node-server` keeps the node:http request (its `HttpBindings`). */
interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string | undefined } };
}

/**
 * A Hono handler passing requests to `hub.fetch`. Route the hub's `basePath` to it (`app.all`
 * so commands and publishes reach it too). On `@hono/node-server` the peer's address is taken
 * from the node:http request for per-address limits. WebSocket: `attachWebSocket(server, hub)`
 * on the server `serve()` returns.
 * @example
 * ```ts
 * const hub = createHub({ basePath: '/live' });
 * const app = new Hono();
 * app.all('/live/*', tidingsHono(hub));
 * serve({ fetch: app.fetch, port: 8080 });
 * ```
 */
export function tidingsHono(hub: AdaptedHub): (c: Context) => Promise<Response> {
  return (c) => {
    const env = c.env as NodeBindings | undefined;
    return hub.fetch(c.req.raw, { remoteAddress: env?.incoming?.socket?.remoteAddress });
  };
}
