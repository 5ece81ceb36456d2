import { ClientGoneError, type HubRequest } from './hub-request.js';
import { tooLarge } from './node-request.js';
import type { SimpleHead } from './request-head.js';

/**
 * Adapts a request read by the stream front to a {@link HubRequest}: a `GET` has no body (the
 * front hands any other to node:http); a `POST`'s body arrived whole before it is handled.
 * @param body the whole body as UTF-8 text (`head.contentLength` is its size in bytes), or
 *   undefined when the client left before sending all of it.
 */
export function socketRequest(
  head: SimpleHead,
  url: URL,
  path: string,
  remoteAddress: string,
  abort: { readonly signal: AbortSignal },
  body: string | undefined,
): HubRequest {
  return {
    method: head.method,
    url,
    path,
    remoteAddress,
    get signal() {
      return abort.signal;
    },
    header: (name) => head.headers.get(name),
    // Same answers as nodeRequest: a body over the route's limit is a 413.
    text: (limit) => {
      if (head.contentLength > limit) return Promise.reject(tooLarge(limit));
      return body === undefined ? Promise.reject(new ClientGoneError()) : Promise.resolve(body);
    },
  };
}
