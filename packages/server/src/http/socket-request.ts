import type { HubRequest } from './hub-request.js';
import type { SimpleHead } from './request-head.js';

const NO_BODY: Promise<string> = Promise.resolve('');

/**
 * Adapts a request head read by the stream front to a {@link HubRequest}. Such a request has no
 * body (the front hands any other to node:http), so `text()` is empty.
 */
export function socketRequest(
  head: SimpleHead,
  url: URL,
  path: string,
  remoteAddress: string,
  abort: { readonly signal: AbortSignal },
): HubRequest {
  return {
    method: 'GET',
    url,
    path,
    remoteAddress,
    get signal() {
      return abort.signal;
    },
    header: (name) => head.headers.get(name),
    text: () => NO_BODY,
  };
}
