import { encodeSseFrame, type TidingsEvent } from '@tidings/protocol';

/**
 * Delivery restrictions and transport extras persisted with an event. Stores keep it verbatim;
 * the hub interprets it when delivering (including on replay).
 */
export interface EventMeta {
  /** Deliver only to these users (`sub` claims) and/or sessions; absent means every subscriber. */
  readonly to?: { readonly users?: readonly string[]; readonly sessions?: readonly string[] };
  /**
   * Further fields owned by optional features: the Mercure face keeps an update's topics, privacy
   * and retry under `mercure` (see `MercureMeta`).
   */
  readonly [key: string]: unknown;
}

/** An event on its way into a store: validated, timestamped, payload already serialised. */
export interface NewEvent {
  /** Publisher-supplied id, or undefined to let the store generate one. */
  readonly id?: string | undefined;
  /**
   * Who published it, as an opaque key (`publisherKey`): a supplied `id` is idempotent per
   * publisher and topic, never across them. Stores keep it for that check only and never hand it
   * out. Undefined is one publisher of its own (`""`).
   */
  readonly publisher?: string | undefined;
  readonly topic: string;
  readonly type: string;
  /** Acceptance time in epoch milliseconds. */
  readonly ts: number;
  /** The payload as JSON text (stored and sent as is, never re-serialised). */
  readonly dataJson: string;
  readonly meta?: EventMeta | undefined;
}

/** An event as held by a store and fanned out by a broker. */
export interface StoredEvent extends NewEvent {
  /** The event id sent to clients: the supplied one, or the store's generated one. */
  readonly id: string;
  /**
   * The store's position for this event: decimal segments joined by `-`, strictly increasing in
   * publish order (compare with `comparePositions`).
   */
  readonly pos: string;
}

/** The envelope JSON (`{"id","topic","type","time","data"}`) built without re-parsing the payload. */
export function envelopeJson(ev: StoredEvent): string {
  return `{"id":${JSON.stringify(ev.id)},"topic":${JSON.stringify(ev.topic)},"type":${JSON.stringify(ev.type)},"time":"${new Date(ev.ts).toISOString()}","data":${ev.dataJson}}`;
}

/** The envelope as an object (parses the payload). */
export function toEnvelope(ev: StoredEvent): TidingsEvent {
  return {
    id: ev.id,
    topic: ev.topic,
    type: ev.type,
    time: new Date(ev.ts).toISOString(),
    data: JSON.parse(ev.dataJson) as unknown,
  };
}

/** The SSE frame of a stored event: `id:`, `event:` and the envelope as `data:`. */
export function eventFrame(ev: StoredEvent): string {
  return encodeSseFrame({ id: ev.id, event: ev.type, data: envelopeJson(ev) });
}
