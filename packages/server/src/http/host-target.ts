import type { HubRequest, HubResponse } from './hub-request.js';
import type { RouteResult } from './route.js';

/** What a host entry point (node:http, a bare socket, `fetch`) needs from the hub behind it. */
export interface HostTarget {
  readonly options: { readonly basePath: string };
  /** Runs a request through the middlewares and routes. */
  handle(req: HubRequest): Promise<RouteResult>;
  /** Logs and counts an unexpected failure at `where`; the `500` to answer with. */
  internalError(where: string, err: unknown): HubResponse;
  /** Whether a GET to `path` answers with an event stream. */
  isStreamPath(path: string): boolean;
}
