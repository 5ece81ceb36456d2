import type { ResolvedOptions } from './resolve-options.js';
import type { TransportRequest } from './transport.js';

/**
 * Where and how one attempt asks for the stream: the topics in the query; the token and the id to
 * resume after as headers, or in the query where headers are impossible (a WebSocket, an
 * EventSource). The user's headers never replace `Last-Event-ID` or `Accept`.
 */
export function streamRequest(
  o: ResolvedOptions,
  ws: boolean,
  token: string | null | undefined,
  extra: Readonly<Record<string, string>> | undefined,
  topics: Iterable<string>,
  lastEventId: string | null,
  eventTypes: Iterable<string>,
): TransportRequest {
  const url = new URL((ws ? o.webSocketUrl : o.url).href);
  for (const t of topics) url.searchParams.append('topic', t);
  const headers: Record<string, string> = {};
  // Browsers cannot set headers on a WebSocket: the token and resume id go in the query.
  if (ws || o.useNativeEventSource) {
    if (token) url.searchParams.set('token', token);
    if (lastEventId !== null) url.searchParams.set('lastEventId', lastEventId);
  } else {
    for (const [k, v] of Object.entries(extra ?? {})) {
      const key = k.toLowerCase();
      // The resume id is the library's to manage: a user header must never drop or fake it.
      if (key === 'last-event-id' || key === 'accept') continue;
      if (key === 'authorization' && token) continue;
      headers[k] = v;
    }
    headers.accept = 'text/event-stream';
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId !== null) headers['last-event-id'] = lastEventId;
  }
  return { url: url.href, headers, credentials: o.credentials, eventTypes };
}
