import type { HubRequest, HubResponse } from './hub-request.js';
import type { StreamSink } from './stream-sink.js';

/** A route's answer: a complete response, or an event stream to open once headers are sent. */
export type RouteResult =
  | HubResponse
  | {
      readonly kind: 'stream';
      readonly headers: Record<string, string>;
      /** Called with the sink once the 200 headers are on the wire. */
      open(sink: StreamSink): void;
    };

/** The values of a route's path parameters (`/commands/*name` gives `name`), already matched. */
export type RouteParams = Readonly<Record<string, string>>;

/** Handles one method on one path; `params` holds the path parameters the route declares. */
export type RouteHandler = (req: HubRequest, params: RouteParams) => Promise<RouteResult>;

/**
 * Runs around every request, before routing: answer it directly, or call `next()` and adjust
 * the result (e.g. add headers). A thrown `HubError` becomes its JSON error response.
 */
export type Middleware = (req: HubRequest, next: () => Promise<RouteResult>) => Promise<RouteResult>;
