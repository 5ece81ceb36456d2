import { compilePattern, encodeSseFrame } from '@tidings/protocol';
import { resetFrame } from '../core/catch-up.js';
import { resumePosition } from '../engines/history-store.js';
import { shuttingDown } from '../http/answers.js';
import type { HubRequest } from '../http/hub-request.js';
import { readSubscription, type SubscriptionDialect } from '../http/parse-subscription.js';
import type { RouteResult } from '../http/route.js';
import { SSE_HEADERS } from '../transports/sse/sse-headers.js';
import { checkSelectors, checkTopic } from './mercure-checks.js';
import { MercureConnection, type MercureSubscriber, mercureAccepts } from './mercure-connection.js';
import type { MercureFace } from './mercure-face.js';
import { compileSelector } from './selector.js';
import { ALTERNATES_ROOT, hubScopeOf } from './topic-mapping.js';

const encoder = new TextEncoder();

/** The read filter of Mercure streams: topics are judged event by event in `accepts`. */
const everyTopic = (): boolean => true;

/** Every update with alternate topics: a replay reads them besides the subscription's own topics. */
const WITH_ALTERNATES = compilePattern(`${ALTERNATES_ROOT}/**`);

/** `GET /.well-known/mercure`: topic selectors (IRIs, URI templates, `*`), checked as given. */
const MERCURE_DIALECT: SubscriptionDialect<string> = {
  noTopics: {
    code: 'bad-request',
    message:
      'Subscribe to at least one topic selector: ?topic=https://example.com/books/{id} (repeatable; "*" for all).',
  },
  tooMany: (n, max) =>
    `This subscription names ${n} topic selectors; the limit is ${max}. Use a URI template such as https://example.com/books/{id}.`,
  idParams: ['lastEventID', 'Last-Event-ID'],
  idName: 'Last-Event-ID',
  compile(t) {
    checkTopic(t, 'topic selector');
    return t;
  },
};

/**
 * `GET /.well-known/mercure`: a Mercure subscriber's stream, with draft-07's resume semantics
 * (`Last-Event-ID`, `earliest`) and private updates only for the token's `mercure.subscribe`.
 */
export async function subscribeRoute(face: MercureFace, req: HubRequest): Promise<RouteResult> {
  const { host, auth } = face;
  const store = host.engine.store;
  if (host.isClosing) throw shuttingDown();
  const { patterns: unique, lastEventId } = readSubscription(
    req,
    host.options.maxTopicsPerSubscription,
    MERCURE_DIALECT,
  );

  // Compiled before anything else costs: each compile is bounded (see compileUriTemplate), and
  // so is their number.
  const selectors = unique.map(compileSelector);
  checkSelectors(selectors);
  const creds = await auth.subscriber(req);
  const principal = await host.access.admitStream(creds?.principal ?? {}, req);
  const scope = [...new Set(selectors.flatMap((s) => hubScopeOf(s.source, s.template !== undefined)))];
  const scopePatterns = scope.map((p) => compilePattern(p));
  const subscriber: MercureSubscriber = {
    id: `urn:uuid:${crypto.randomUUID()}`,
    selectors,
    allowed: creds?.subscribe,
    payload: creds?.payload,
  };
  // The subscription's own hub topics, plus every update with alternates (one of which may
  // match); each event is then judged as the connection's accepts() would.
  const replayFilter = {
    topics: scopePatterns.filter((p) => !p.wildcard).map((p) => p.source),
    patterns: [...scopePatterns.filter((p) => p.wildcard), WITH_ALTERNATES],
  };

  // Where replay starts, what the Last-Event-ID response header says (draft-07: the id of the
  // event preceding the first one sent, or "earliest"), and whether a reset goes first.
  let from: { pos: string };
  let echo: string | undefined;
  let reset: Uint8Array | undefined;
  // A stream that has no id to resume from gets one in an id-only frame, which sets the client's
  // last event id without dispatching anything (WHATWG SSE): a reconnection before the first
  // update (a dropped connection, another node's failure) then resumes from the subscription's
  // start instead of losing what was published meanwhile.
  let resumePoint: string | undefined;
  if (lastEventId === undefined) {
    from = { pos: await store.head() };
    resumePoint = store.idAt(from.pos);
  } else if (lastEventId === 'earliest') {
    from = { pos: '0' };
    echo = 'earliest';
  } else {
    // A supplied id counts only through an update this subscriber may receive: any other
    // answers exactly like an id that never existed.
    const point = await store.resolve(lastEventId, replayFilter);
    const pos = resumePosition(point, (ev) => mercureAccepts(subscriber, principal, ev));
    if (pos === undefined) {
      // From a lost history: every update held now came after the loss and follows the reset.
      const replayFrom = point.kind === 'unknown' ? point.replayFrom : undefined;
      from = { pos: replayFrom ?? (await store.head()) };
      echo = 'earliest';
      reset = resetFrame('unknown-id', lastEventId);
      resumePoint = store.idAt(from.pos);
    } else {
      from = { pos };
      // Retention may have removed updates this subscription would have received; checked on
      // the hub topics its selectors cover (an update matching only through an alternate topic
      // is replayed when retained, but its loss is not detected).
      const probe = await store.readAfter(
        pos,
        {
          topics: scopePatterns.filter((p) => !p.wildcard).map((p) => p.source),
          patterns: scopePatterns.filter((p) => p.wildcard),
        },
        1,
      );
      echo = probe.truncated ? 'earliest' : lastEventId;
      if (probe.truncated) reset = resetFrame('history-truncated', lastEventId);
    }
  }

  return host.openStream({
    headers: {
      ...SSE_HEADERS,
      // Exposed, so a page on another origin reading the stream with fetch can see it.
      ...(echo !== undefined && {
        'last-event-id': echo,
        'access-control-expose-headers': 'Last-Event-ID',
      }),
      // A token in the URL must not end up in a shared cache.
      ...(creds?.source === 'query' && { 'cache-control': 'private, no-cache, no-transform' }),
    },
    connect: (id, h, sink) =>
      new MercureConnection(
        id,
        h,
        sink,
        scopePatterns,
        // A per-event filter is present, so every event goes through the connection's accepts().
        { principal, canRead: everyTopic },
        req.remoteAddress,
        subscriber,
      ),
    // The hub's reconnection delay, and the resume point; neither dispatches an event.
    greeting: () =>
      encoder.encode(
        (reset ? new TextDecoder().decode(reset) : '') +
          encodeSseFrame({ retry: host.options.retryMs, id: resumePoint }),
      ),
    register: (conn) => {
      const c = conn as MercureConnection;
      const remove = face.dispatcher.add(c);
      face.subscriptions?.opened(c);
      return () => {
        remove();
        face.subscriptions?.closedConnection(c);
      };
    },
    replay: {
      from,
      filter: replayFilter,
      truncation: 'ignore',
    },
  });
}
