import { randomUUID } from 'node:crypto';
import {
  compilePattern,
  encodeSseFrame,
  isSystemEventType,
  validateEventId,
  validateEventType,
} from '@tidings/protocol';
import { publisherKey } from '../auth/publisher-key.js';
import { resetFrame } from '../core/catch-up.js';
import { HubError } from '../core/errors.js';
import { resumePosition } from '../engines/history-store.js';
import type { FaceHost } from '../face.js';
import { type HubRequest, type HubResponse, json } from '../http/hub-request.js';
import { type RouteResult, SSE_HEADERS } from '../hub.js';
import type { ParsedPublish } from '../routes/parse-publish.js';
import { MercureAuth, stripAuthorizationParam } from './mercure-auth.js';
import {
  DEFAULT_TYPE,
  MercureConnection,
  type MercureSubscriber,
  mercureAccepts,
} from './mercure-connection.js';
import { MercureDispatcher } from './mercure-dispatcher.js';
import {
  MAX_MERCURE_TOPIC_LENGTH,
  MAX_TEMPLATES_PER_SUBSCRIPTION,
  MERCURE_PATH,
  type MercureOptions,
  SUBSCRIPTIONS_PATH,
} from './mercure-options.js';
import { anyMatch, compileSelector, type TopicSelector } from './selector.js';
import {
  ActiveSubscriptions,
  MERCURE_CONTEXT,
  type SubscriptionEntry,
  subscriptionDocument,
} from './subscriptions.js';
import { ALTERNATES_ROOT, hubScopeOf, type MercureMeta, storageTopicOf } from './topic-mapping.js';
import { welcomePage } from './welcome-page.js';

const encoder = new TextEncoder();

/** The read filter of Mercure streams: topics are judged event by event in `accepts`. */
const everyTopic = (): boolean => true;

/** Every update with alternate topics: a replay reads them besides the subscription's own topics. */
const WITH_ALTERNATES = compilePattern(`${ALTERNATES_ROOT}/**`);

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function bad(message: string, detail?: Record<string, unknown>): HubError {
  return new HubError(400, 'bad-request', message, detail);
}

/** Checks a topic or selector as given by a client; `what` names it in messages. */
function checkTopic(t: string, what: string): void {
  if (t.length === 0) throw bad(`A ${what} is empty; give an IRI such as https://example.com/books/1.`);
  if (t.length > MAX_MERCURE_TOPIC_LENGTH) {
    throw bad(`A ${what} is ${t.length} characters long; the limit is ${MAX_MERCURE_TOPIC_LENGTH}.`, {
      limit: MAX_MERCURE_TOPIC_LENGTH,
    });
  }
  if (CONTROL_CHARS.test(t)) {
    throw bad(`The ${what} "${t.slice(0, 60)}" contains a control character; topics are IRIs.`);
  }
}

/**
 * Refuses, with `400` and a sentence, selectors that are templates over the limits of
 * `compileUriTemplate`, and more than {@link MAX_TEMPLATES_PER_SUBSCRIPTION} templates in one
 * subscription (each distinct template is matched against every update).
 */
function checkSelectors(selectors: readonly TopicSelector[]): void {
  const over = selectors.find((s) => s.refused !== undefined);
  if (over) {
    throw new HubError(
      400,
      'template-too-complex',
      `The topic selector "${over.source.slice(0, 60)}" is not accepted: ${over.refused}. Use a simpler URI template such as https://example.com/books/{id}.`,
      { topic: over.source.slice(0, 256) },
    );
  }
  const templates = selectors.filter((s) => s.template !== undefined).length;
  if (templates > MAX_TEMPLATES_PER_SUBSCRIPTION) {
    throw new HubError(
      400,
      'too-many-templates',
      `This subscription names ${templates} URI templates; the limit is ${MAX_TEMPLATES_PER_SUBSCRIPTION}. Combine them into fewer templates, or subscribe to exact topics.`,
      { limit: MAX_TEMPLATES_PER_SUBSCRIPTION },
    );
  }
}

/** Whether a topic lies in the hub's own namespace (`/.well-known/mercure/…`, relative or absolute). */
function isReservedMercureTopic(topic: string): boolean {
  let path = topic;
  try {
    path = new URL(topic, 'http://hub.invalid').pathname;
  } catch {
    // not resolvable: compare the raw string
  }
  return path === MERCURE_PATH || path.startsWith(`${MERCURE_PATH}/`);
}

/** What `POST /.well-known/mercure` was asked to publish. */
interface MercureUpdate {
  readonly topics: string[];
  readonly data: string;
  readonly private: boolean;
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly retry: number | undefined;
}

function parseUpdate(body: string): MercureUpdate {
  const form = new URLSearchParams(body);
  const topics = form.getAll('topic');
  if (topics.length === 0) {
    throw bad('The update has no "topic" field; send topic=<IRI> (repeat it for alternate topics).');
  }
  for (const t of topics) checkTopic(t, 'topic');
  const rawId = form.get('id');
  let id: string | undefined;
  if (rawId !== null && rawId !== '') {
    const err = validateEventId(rawId);
    if (err) throw bad(err.replace('The event id', 'The "id" field'));
    if (rawId.startsWith('#'))
      throw bad('The "id" field must not start with "#" (the Mercure protocol reserves it).');
    id = rawId;
  }
  const rawType = form.get('type');
  let type: string | undefined;
  if (rawType !== null && rawType !== '') {
    const err = validateEventType(rawType);
    if (err)
      throw bad(
        err.replace('The event "type"', 'The "type" field').replace('The event type', 'The "type" field'),
      );
    if (isSystemEventType(rawType)) {
      throw bad(`The type "${rawType}" is reserved for the hub's own events; choose another name.`);
    }
    type = rawType;
  }
  const rawRetry = form.get('retry');
  let retry: number | undefined;
  if (rawRetry !== null && rawRetry !== '') {
    if (!/^\d{1,9}$/.test(rawRetry)) {
      throw bad(`The "retry" field must be a whole number of milliseconds, not "${rawRetry.slice(0, 40)}".`);
    }
    retry = Number(rawRetry);
  }
  return { topics, data: form.get('data') ?? '', private: form.has('private'), id, type, retry };
}

/**
 * Installs the Mercure face on a hub: `GET`/`POST /.well-known/mercure`, the active-subscriptions
 * API when enabled, and the welcome page. Called by `createHub` when `mercure` is given.
 * @throws {RangeError} naming the option when the configuration is unusable.
 */
export function installMercure(host: FaceHost, o: MercureOptions): void {
  const auth = new MercureAuth(o, host.engine.revocations);
  const publishOrigins = new Set(o.publishOrigins ?? []);
  for (const origin of publishOrigins) {
    if (origin === '*') continue;
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {
      // reported below
    }
    if (!ok) {
      throw new RangeError(
        `Mercure option publishOrigins has "${origin}", which is not an origin; write it as https://app.example.com.`,
      );
    }
  }
  const refreshMs = o.subscriptionsRefreshMs ?? 30_000;
  if (!Number.isInteger(refreshMs) || refreshMs < 100) {
    throw new RangeError(
      `Mercure option subscriptionsRefreshMs must be an integer of at least 100, not ${refreshMs}.`,
    );
  }
  const store = host.engine.store;
  const dispatcher = new MercureDispatcher(host.engine.broker);
  const subscriptions = o.subscriptions ? new ActiveSubscriptions(host, refreshMs, host.log) : undefined;
  host.onClose(() => {
    dispatcher.close();
    subscriptions?.close();
  });

  // Outermost, so not even the security layer's refusals see a token in the URL.
  host.useFirst(async (req, next) => {
    if (req.path === MERCURE_PATH || req.path.startsWith(`${MERCURE_PATH}/`)) stripAuthorizationParam(req);
    return next();
  });

  async function lastEventIdNow(): Promise<string> {
    const head = await store.head();
    return head === '0' ? 'earliest' : store.idAt(head);
  }

  // ---- subscribe ------------------------------------------------------------------------------

  async function subscribe(req: HubRequest): Promise<RouteResult> {
    if (host.isClosing) {
      throw new HubError(503, 'unavailable', 'The hub is shutting down; reconnect in a moment.', undefined, {
        'retry-after': '1',
      });
    }
    const raw = req.url.searchParams.getAll('topic');
    if (raw.length === 0) {
      throw bad(
        'Subscribe to at least one topic selector: ?topic=https://example.com/books/{id} (repeatable; "*" for all).',
      );
    }
    const unique = [...new Set(raw)];
    const max = host.options.maxTopicsPerSubscription;
    if (unique.length > max) {
      throw new HubError(
        400,
        'too-many-topics',
        `This subscription names ${unique.length} topic selectors; the limit is ${max}. Use a URI template such as https://example.com/books/{id}.`,
        { limit: max },
      );
    }
    for (const t of unique) checkTopic(t, 'topic selector');
    const header = req.header('last-event-id');
    const query =
      req.url.searchParams.get('lastEventID') ?? req.url.searchParams.get('Last-Event-ID') ?? undefined;
    const lastEventId = header !== undefined && header !== '' ? header : query || undefined;
    if (lastEventId !== undefined && lastEventId.length > 1024) {
      throw bad(`The Last-Event-ID is ${lastEventId.length} characters long; ids are at most 1024.`);
    }

    // Compiled before anything else costs: each compile is bounded (see compileUriTemplate), and
    // so is their number.
    const selectors = unique.map(compileSelector);
    checkSelectors(selectors);
    const creds = await auth.subscriber(req);
    const principal = await host.admitStream(creds?.principal ?? {}, req);
    const scope = [...new Set(selectors.flatMap((s) => hubScopeOf(s.source, s.template !== undefined)))];
    const scopePatterns = scope.map((p) => compilePattern(p));
    const subscriber: MercureSubscriber = {
      id: `urn:uuid:${randomUUID()}`,
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
        const remove = dispatcher.add(c);
        subscriptions?.opened(c);
        return () => {
          remove();
          subscriptions?.closedConnection(c);
        };
      },
      replay: {
        from,
        filter: replayFilter,
        truncation: 'ignore',
      },
    });
  }

  // ---- publish --------------------------------------------------------------------------------

  async function publish(req: HubRequest): Promise<HubResponse> {
    // Credentials first: an unauthenticated flood of bodies costs no parsing.
    const creds = await auth.publisher(req);
    if (creds.source === 'cookie') checkPublishOrigin(req);
    // A token that may publish nowhere, or has no room in its rate bucket, is refused before
    // the body is read, like on POST /publish.
    if (!creds.publish || creds.publish.length === 0) {
      throw new HubError(
        403,
        'forbidden',
        creds.publish
          ? 'The token\'s "mercure.publish" claim is empty, so it may not publish; list topic selectors in it (["*"] for all).'
          : 'The token has no "mercure.publish" claim, so it may not publish; add one listing topic selectors (["*"] for all).',
      );
    }
    await host.checkPublishRate(creds.principal, req, 0);
    const ctype = req.header('content-type');
    if (ctype && !/^application\/x-www-form-urlencoded\b/i.test(ctype)) {
      throw new HubError(
        415,
        'unsupported-media-type',
        `Mercure updates are sent as application/x-www-form-urlencoded, not ${ctype.split(';')[0]}.`,
      );
    }
    const update = parseUpdate(await req.text(host.options.maxBodyBytes));
    for (const t of update.topics) {
      if (isReservedMercureTopic(t)) {
        throw new HubError(
          403,
          'forbidden',
          `The topic "${t}" lies under ${MERCURE_PATH}/, which the hub keeps for its own updates (subscription events).`,
          { topic: t },
        );
      }
    }
    const grant = creds.publish;
    const denied = update.topics.filter((t) => !grant || !anyMatch(grant, [t]));
    if (denied.length > 0) {
      throw new HubError(
        403,
        'forbidden',
        grant
          ? `The token's "mercure.publish" claim does not allow the topic "${denied[0]}"; every topic of an update, alternates included, must match one of its selectors.`
          : 'The token has no "mercure.publish" claim, so it may not publish; add one listing topic selectors (["*"] for all).',
        { topics: denied },
      );
    }
    await host.checkPublishRate(creds.principal, req, 1);
    const meta: MercureMeta = {
      topics: update.topics,
      ...(update.private && { private: true as const }),
      ...(update.retry !== undefined && { retry: update.retry }),
    };
    const dataJson = JSON.stringify(update.data);
    const size = Buffer.byteLength(dataJson);
    if (size > host.options.maxPayloadBytes) {
      throw new HubError(
        413,
        'payload-too-large',
        `The update's data is ${size} bytes (as stored); the limit is ${host.options.maxPayloadBytes}. Send a reference (an IRI) instead of the whole resource, or raise maxPayloadBytes.`,
        { limit: host.options.maxPayloadBytes, size },
      );
    }
    const item: ParsedPublish = {
      topic: storageTopicOf(update.topics),
      type: update.type ?? DEFAULT_TYPE,
      id: update.id,
      dataJson,
      meta: { mercure: meta },
    };
    // Ids are idempotent per Mercure publisher (its `sub`) and topic: a 409 or a retry answer only
    // ever concerns this publisher's own update.
    const [result] = await host.publishParsed([item], publisherKey(creds.principal, 'mercure'));
    if (!result) throw new Error('the store returned no result');
    if (result.duplicate && !sameUpdate(result.event, item)) {
      throw new HubError(
        409,
        'duplicate-id',
        `The id "${update.id}" already belongs to another update; ids identify one update, so choose a new one (a retry of the same update is accepted).`,
        { id: update.id },
      );
    }
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: result.event.id };
  }

  function checkPublishOrigin(req: HubRequest): void {
    let origin = req.header('origin');
    if (origin === undefined) {
      const referer = req.header('referer');
      if (referer) {
        try {
          origin = new URL(referer).origin;
        } catch {
          // no usable origin
        }
      }
    }
    if (origin === undefined) {
      throw new HubError(
        403,
        'origin-not-allowed',
        'A publish authenticated by cookie must come from a browser page (with an Origin or Referer header); servers send the token as "Authorization: Bearer <JWT>".',
      );
    }
    if (!publishOrigins.has('*') && !publishOrigins.has(origin)) {
      throw new HubError(
        403,
        'origin-not-allowed',
        `Publishing with the ${auth.cookieName} cookie from ${origin} is not allowed; add the origin to the hub's publish origins (publishOrigins, --mercure-publish-origin) if it is yours.`,
        { origin },
      );
    }
  }

  // ---- active subscriptions API ----------------------------------------------------------------

  if (subscriptions) {
    host.use(async (req, next) => {
      if (req.path !== SUBSCRIPTIONS_PATH && !req.path.startsWith(`${SUBSCRIPTIONS_PATH}/`)) return next();
      if (req.method !== 'GET') {
        throw new HubError(
          405,
          'method-not-allowed',
          `${req.path} accepts GET, not ${req.method}.`,
          undefined,
          {
            allow: 'GET',
          },
        );
      }
      return subscriptionsApi(req, subscriptions);
    });
  }

  async function subscriptionsApi(req: HubRequest, subs: ActiveSubscriptions): Promise<HubResponse> {
    const creds = await auth.subscriber(req);
    if (!creds) {
      throw new HubError(
        401,
        'unauthorized',
        'The subscriptions API requires a JWT whose "mercure.subscribe" claim matches the requested URL.',
        undefined,
        { 'www-authenticate': 'Bearer realm="mercure"' },
      );
    }
    if (!creds.subscribe || !anyMatch(creds.subscribe, [req.path])) {
      throw new HubError(
        403,
        'forbidden',
        `The token's "mercure.subscribe" claim does not match ${req.path}; add a selector such as ${SUBSCRIPTIONS_PATH}{/topic}{/subscriber}.`,
      );
    }
    const parts = req.path.slice(SUBSCRIPTIONS_PATH.length).split('/').slice(1);
    if (parts.length > 2 || parts.some((p) => p === '')) {
      throw new HubError(404, 'not-found', `There is nothing at ${req.path}.`);
    }
    let topic: string | undefined;
    let subscriber: string | undefined;
    try {
      topic = parts[0] === undefined ? undefined : decodeURIComponent(parts[0]);
      subscriber = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
    } catch {
      throw bad(`${req.path} is not correctly percent-encoded.`);
    }
    const lastEventID = await lastEventIdNow();
    const ld = { 'content-type': 'application/ld+json; charset=utf-8', 'cache-control': 'must-revalidate' };
    const all = subs.list();
    if (subscriber !== undefined) {
      const e = all.find((x) => x.topic === topic && x.subscriber === subscriber);
      if (!e) throw new HubError(404, 'not-found', `No active subscription of ${subscriber} to ${topic}.`);
      return { ...json(200, { ...subscriptionDocument(e, true, true), lastEventID }), headers: ld };
    }
    const list: SubscriptionEntry[] = topic === undefined ? all : all.filter((x) => x.topic === topic);
    return {
      ...json(200, {
        '@context': MERCURE_CONTEXT,
        id: req.path,
        type: 'Subscriptions',
        lastEventID,
        subscriptions: list.map((e) => subscriptionDocument(e, true, false)),
      }),
      headers: ld,
    };
  }

  host.route('GET', MERCURE_PATH, subscribe);
  host.addStreamPath(MERCURE_PATH);
  host.route('POST', MERCURE_PATH, publish);
  if (o.welcomePage !== false) {
    host.route('GET', '/', async () => ({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: welcomePage(host.options.basePath),
    }));
  }
}

/** Whether a stored update is the same as a new one (a publisher retrying with the same id). */
function sameUpdate(
  ev: { topic: string; type: string; dataJson: string; meta?: unknown },
  item: ParsedPublish,
): boolean {
  return (
    ev.topic === item.topic &&
    ev.type === item.type &&
    ev.dataJson === item.dataJson &&
    JSON.stringify((ev.meta as { mercure?: unknown } | undefined)?.mercure) ===
      JSON.stringify(item.meta?.mercure)
  );
}
