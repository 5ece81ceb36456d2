import { encodeSseFrame } from '@tidings/protocol';
import type { SubscribeGrant } from '../../auth/authorizer.js';
import type { HubPlugin, PluginHost } from '../../core/hub-plugin.js';
import type { Stream } from '../../core/stream.js';
import { shuttingDown } from '../../http/answers.js';
import type { HubRequest } from '../../http/hub-request.js';
import { parseSubscription } from '../../http/parse-subscription.js';
import type { RouteResult } from '../../http/route.js';
import type { SysChannel } from '../../plugins/sys/sys-channel.js';
import { SseConnection } from './sse-connection.js';
import { SSE_HEADERS } from './sse-headers.js';

const encoder = new TextEncoder();

/** The event streams' transport: `GET /events`, and its `$sys/…` streams for admin views. */
export function ssePlugin(sys: SysChannel): HubPlugin {
  return {
    name: 'sse',
    install(host) {
      host.route('GET', '/events', (req) => subscribe(host, sys, req));
      host.addStreamPath('/events');
    },
  };
}

/** `GET /events?topic=…`: checks the request and credentials, then opens the stream. */
async function subscribe(host: PluginHost, sys: SysChannel, req: HubRequest): Promise<RouteResult> {
  if (host.isClosing) throw shuttingDown();
  const sub = parseSubscription(req, host.options.maxTopicsPerSubscription);
  const isSys = sys.isSysSubscription(sub.patterns);
  // Credentials first: a refused (or revoked) token gets its 401/403 even while the store is
  // unreachable, rather than a 503 that invites it to retry.
  const grant: SubscribeGrant = isSys
    ? await sys.admit(req)
    : await host.access.authorizer.authorizeSubscribe(
        req,
        sub.patterns.map((p) => p.source),
      );
  const store = host.engine.store;
  // A fresh stream starts at the current head: the connected frame tells the client that
  // position, and the catch-up below covers anything appended before registration.
  const head = sub.lastEventId === undefined && !isSys ? await store.head() : undefined;
  const options = host.options;
  return host.openStream({
    headers: { ...SSE_HEADERS },
    connect: (id, h, sink) => new SseConnection(id, h, sink, sub.patterns, grant, req.remoteAddress, !isSys),
    greeting: (conn) =>
      encoder.encode(
        encodeSseFrame({
          retry: options.retryMs,
          event: 'connected',
          data: JSON.stringify({
            connectionId: conn.id,
            topics: conn.topics,
            heartbeatMs: options.heartbeatMs,
            serverTime: new Date().toISOString(),
            ...(!isSys && {
              lastEventId: sub.lastEventId ?? store.idAt(head ?? '0'),
            }),
          }),
        }),
      ),
    // $sys streams are fed by the channel, not the topic index.
    register: isSys ? (conn) => sysMember(sys, conn) : undefined,
    replay: isSys
      ? undefined
      : {
          from: sub.lastEventId === undefined ? { pos: head ?? '0' } : { lastEventId: sub.lastEventId },
          filter: {
            topics: sub.patterns.filter((p) => !p.wildcard).map((p) => p.source),
            patterns: sub.patterns.filter((p) => p.wildcard),
          },
        },
  });
}

/** Adds a `$sys` stream to the channel; returns its removal (a closure over these two only). */
function sysMember(sys: SysChannel, conn: Stream): () => void {
  sys.add(conn);
  return () => sys.remove(conn);
}
