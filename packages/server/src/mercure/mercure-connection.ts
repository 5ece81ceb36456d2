import { encodeSseFrame, type TopicPattern } from '@tidings/protocol';
import type { Principal, SubscribeGrant } from '../auth/authorizer.js';
import { addressedTo } from '../core/delivery-rule.js';
import type { StoredEvent } from '../core/stored-event.js';
import type { StreamHost } from '../core/stream.js';
import type { StreamSink } from '../http/stream-sink.js';
import { SseConnection } from '../transports/sse/sse-connection.js';
import { anyMatch, type TopicSelector } from './selector.js';
import { mercureMeta, mercureTopicsOf } from './topic-mapping.js';

const encoder = new TextEncoder();

/** The Mercure keep-alive: an SSE comment, which every client ignores. */
const KEEP_ALIVE = encoder.encode(':\n\n');

/** The event type a Mercure update has when its publisher set none (SSE's default). */
export const DEFAULT_TYPE = 'message';

/**
 * The SSE frame of a stored event as Mercure subscribers see it: `id:` (the publisher's id or the
 * hub's), `event:` only when the publisher set a type, `retry:` when it set one, and the data as
 * sent, one `data:` line per line. An event published through the hub's own API shows its type
 * and its JSON payload (a JSON string payload as plain text).
 */
export function mercureFrame(ev: StoredEvent): Uint8Array {
  const meta = mercureMeta(ev);
  const data = meta || ev.dataJson.startsWith('"') ? (JSON.parse(ev.dataJson) as string) : ev.dataJson;
  return encoder.encode(
    encodeSseFrame({
      id: ev.id,
      event: ev.type === DEFAULT_TYPE ? undefined : ev.type,
      retry: meta?.retry,
      data,
    }),
  );
}

// Replays of several subscribers often send the same event in a row: encode it once.
let lastEvent: StoredEvent | undefined;
let lastFrame: Uint8Array | undefined;

function cachedFrame(ev: StoredEvent): Uint8Array {
  if (ev !== lastEvent) {
    lastFrame = mercureFrame(ev);
    lastEvent = ev;
  }
  return lastFrame as Uint8Array;
}

/** Who a Mercure stream belongs to and what it asked for. */
export interface MercureSubscriber {
  /** The subscriber's IRI in subscription events (`urn:uuid:…`). */
  readonly id: string;
  /** The `topic` selectors of the request. */
  readonly selectors: readonly TopicSelector[];
  /** The token's `mercure.subscribe` selectors: which private updates it may receive. */
  readonly allowed: readonly TopicSelector[] | undefined;
  /** The token's `mercure.payload`. */
  readonly payload: unknown;
}

/**
 * Whether the Mercure stream of `sub` (opened with `principal`) receives `ev`: one of its selectors
 * matches one of the update's topics, it may read it ({@link mayRead}), and targeted delivery
 * (`to`) lets it through. What {@link MercureConnection.accepts} decides, usable before the
 * connection exists (to judge a `Last-Event-ID`).
 */
export function mercureAccepts(sub: MercureSubscriber, principal: Principal, ev: StoredEvent): boolean {
  const topics = mercureTopicsOf(ev);
  return anyMatch(sub.selectors, topics) && mayRead(sub, ev, topics) && addressedTo(ev, principal);
}

/**
 * Whether a subscriber may receive `ev`, whatever it subscribed to: public Mercure updates go to
 * everyone; private ones, and every event published through the hub's own API (whose readers the
 * hub's grants decide, which a Mercure token does not carry), only to subscribers whose
 * `mercure.subscribe` selectors match one of the event's topics.
 */
export function mayRead(sub: MercureSubscriber, ev: StoredEvent, topics: readonly string[]): boolean {
  const meta = mercureMeta(ev);
  if (meta && meta.private !== true) return true;
  return sub.allowed !== undefined && anyMatch(sub.allowed, topics);
}

/**
 * A Mercure subscriber's stream. The hub holds it like any other (limits, heartbeats, expiry,
 * shutdown, admin views); it writes Mercure frames and decides itself which events it accepts,
 * on replay as live.
 */
export class MercureConnection extends SseConnection {
  constructor(
    id: string,
    host: StreamHost,
    sink: StreamSink,
    /** Hub patterns covering the subscription (for presence and admin views). */
    scope: readonly TopicPattern[],
    grant: SubscribeGrant,
    remoteAddress: string,
    readonly subscriber: MercureSubscriber,
  ) {
    super(id, host, sink, scope, grant, remoteAddress, true);
    this.decidesFacePrivacy = true;
  }

  /** The subscription's Mercure selectors, as requested. */
  get selectors(): readonly string[] {
    return this.subscriber.selectors.map((s) => s.source);
  }

  override accepts(ev: StoredEvent): boolean {
    const topics = mercureTopicsOf(ev);
    if (!anyMatch(this.subscriber.selectors, topics)) return false;
    if (!mayRead(this.subscriber, ev, topics)) return false;
    // Targeted delivery (`to`) of events published through the hub's own API still applies.
    return super.accepts(ev);
  }

  override frameFor(ev: StoredEvent): Uint8Array {
    return cachedFrame(ev);
  }

  override heartbeat(): void {
    this.write(KEEP_ALIVE);
  }
}
