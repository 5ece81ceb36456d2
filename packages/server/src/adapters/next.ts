/**
 * `@tidings/server/next`: the hub as a Next.js App Router route handler.
 * @packageDocumentation
 */
import type { AdaptedHub } from './node.js';

/** A Next.js App Router route handler: a Web `Request` in, a Web `Response` out. */
export type NextRouteHandler = (request: Request) => Promise<Response>;

/** The route handlers of the hub, one per method it answers. */
export interface TidingsNextRoutes {
  readonly GET: NextRouteHandler;
  readonly POST: NextRouteHandler;
  readonly OPTIONS: NextRouteHandler;
}

/**
 * Route handlers serving the hub from a catch-all route, e.g. `app/live/[...hub]/route.ts` with
 * the hub's `basePath: '/live'`. Pass a function returning the hub so it is created on the
 * first request, not while `next build` imports the route. Use the Node.js runtime and opt out
 * of caching (`dynamic = 'force-dynamic'`); WebSocket needs a custom server (use SSE here).
 * @example
 * ```ts
 * // app/live/[...hub]/route.ts
 * export const runtime = 'nodejs';
 * export const dynamic = 'force-dynamic';
 * export const { GET, POST, OPTIONS } = tidingsNext(() => getHub());
 * ```
 */
export function tidingsNext(hub: AdaptedHub | (() => AdaptedHub)): TidingsNextRoutes {
  const handle: NextRouteHandler = (request) => (typeof hub === 'function' ? hub() : hub).fetch(request);
  return { GET: handle, POST: handle, OPTIONS: handle };
}
