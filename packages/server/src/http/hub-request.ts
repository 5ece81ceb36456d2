/**
 * The request as the hub's routes see it, whichever server delivered it (node:http or a Web
 * `Request`). Only what routes need; adapters fill it in.
 */
export interface HubRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Parsed URL (the host part is not trusted and not used for routing). */
  readonly url: URL;
  /** Path relative to the hub's `basePath`. */
  readonly path: string;
  /** A header value by lower-case name (repeated headers joined with `, `). */
  header(name: string): string | undefined;
  /** The peer's address, for per-IP limits and logs. */
  readonly remoteAddress: string;
  /**
   * Reads the body as UTF-8 text.
   * @throws HubError 413 when it is longer than `limit` bytes; {@link ClientGoneError} when the
   *   client leaves before it is complete.
   */
  text(limit: number): Promise<string>;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

/** A complete, non-streaming response. */
export interface HubResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A JSON response with the given status. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HubResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The path relative to `basePath`, or `undefined` when the request is outside it (the hub then
 * answers 404).
 */
export function relativePath(pathname: string, basePath: string): string | undefined {
  if (!basePath) return pathname;
  if (pathname === basePath) return '/';
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : undefined;
}

/**
 * The abort reason of a request whose connection closed. Shared: aborting with no reason would
 * build a DOMException, stack trace included, at the end of every request.
 */
export const CONNECTION_CLOSED: Error = new Error('The client closed the connection.');

/**
 * Thrown by {@link HubRequest.text} when the client closed the connection before its whole body
 * arrived. The client's choice, not the hub's failure: the hub logs it at debug level, counts no
 * error and answers nobody.
 */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('The client closed the connection before sending the whole request body.');
  }
}

/**
 * A request's abort signal, made only when someone asks for it: most requests end without
 * anyone listening, and an AbortController per request is a measurable share of a publish.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  /** True once the connection closed. */
  closed = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.closed) this.controller.abort(CONNECTION_CLOSED);
    }
    return this.controller.signal;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller?.abort(CONNECTION_CLOSED);
  }
}
