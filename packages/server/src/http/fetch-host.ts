import type { FetchInfo } from '../core/hub-types.js';
import { MALFORMED_URL_BODY } from './answers.js';
import type { HostTarget } from './host-target.js';
import type { HubRequest } from './hub-request.js';
import type { RouteResult } from './route.js';
import { webRequest } from './web-request.js';
import { WebSink } from './web-sink.js';

/** `hub.fetch`: a Web `Request` in, a `Response` out (an event stream as a readable body). */
export async function fetchHandler(
  target: HostTarget,
  request: Request,
  info?: FetchInfo,
): Promise<Response> {
  let hreq: HubRequest;
  // Deno and Bun pass their own second argument to a fetch handler: only a string counts.
  const remote = typeof info?.remoteAddress === 'string' ? info.remoteAddress : '';
  try {
    hreq = webRequest(request, target.options.basePath, remote);
  } catch {
    return Response.json(MALFORMED_URL_BODY, { status: 400 });
  }
  let result: RouteResult;
  try {
    result = await target.handle(hreq);
  } catch (err) {
    result = target.internalError('fetch handler', err);
  }
  if ('kind' in result) {
    if (request.signal?.aborted) return new Response(null, { status: 499 });
    const sink = new WebSink();
    request.signal?.addEventListener('abort', () => sink.abandon(), { once: true });
    result.open(sink);
    return new Response(sink.stream, { status: 200, headers: result.headers });
  }
  return new Response(result.body, { status: result.status, headers: result.headers });
}
