import { createHash } from 'node:crypto';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { EventMeta, NewEvent, StoredEvent } from '../../core/stored-event.js';
import type { GeneratedIds } from '../generated-ids.js';
import { type NatsNames, subjectTopic } from './nats-names.js';

/** Header naming the sequence of the previous event on the same subject ("0" for none). */
export const PREV_HEADER = 'Tidings-Prev';

/** What the first line of an event message holds; the payload follows the newline as is. */
interface EventHead {
  /** Type. */
  y: string;
  /** Time, epoch ms. */
  ts: number;
  /** Meta, when set. */
  m?: EventMeta;
  /** The supplied id, when there was one. */
  i?: string;
  /** Digest of the publisher (never the publisher itself: it must not leak through history). */
  p?: string;
}

/** A short, fixed-length digest, usable as a KV key token (`[A-Za-z0-9_-]`). */
export function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 27);
}

/** The message body of `ev`: its head as JSON on the first line, then the payload unchanged. */
export function encodeEvent(ev: NewEvent): string {
  const head: EventHead = { y: ev.type, ts: ev.ts };
  if (ev.meta !== undefined) head.m = ev.meta;
  if (ev.id !== undefined) {
    head.i = ev.id;
    head.p = digest(ev.publisher ?? '');
  }
  // JSON.stringify never writes a raw newline, so the first one ends the head.
  return `${JSON.stringify(head)}\n${ev.dataJson}`;
}

/** An event message decoded, with what the store needs beyond the event. */
export interface DecodedEvent {
  readonly event: StoredEvent;
  /** Sequence of the previous event on the same topic when this one was appended. */
  readonly prev: number;
  /** Digest of the publisher of a supplied id. */
  readonly publisher: string | undefined;
  /** The supplied id, if any. */
  readonly suppliedId: string | undefined;
}

const utf8 = new TextDecoder();

/**
 * Decodes an event message, or undefined for one that is not (a foreign message on the subject).
 * A generated id is the position encrypted with `ids`.
 */
export function decodeEvent(
  names: NatsNames,
  ids: GeneratedIds,
  subject: string,
  seq: number,
  data: Uint8Array,
  headers: MsgHdrs | undefined,
): DecodedEvent | undefined {
  const topic = subjectTopic(names, subject);
  if (topic === undefined) return undefined;
  const text = utf8.decode(data);
  const nl = text.indexOf('\n');
  if (nl < 0) return undefined;
  let head: EventHead;
  try {
    head = JSON.parse(text.slice(0, nl)) as EventHead;
  } catch {
    return undefined;
  }
  const pos = String(seq);
  const event: StoredEvent = {
    id: head.i ?? ids.encode(pos),
    pos,
    topic,
    type: head.y,
    ts: head.ts,
    dataJson: text.slice(nl + 1),
    ...(head.m === undefined ? {} : { meta: head.m }),
  };
  const prev = Number(headers?.get(PREV_HEADER) || '0');
  return { event, prev: Number.isFinite(prev) ? prev : 0, publisher: head.p, suppliedId: head.i };
}

/** The time (epoch ms) of an event message, without decoding the rest; NaN if it has none. */
export function eventTime(data: Uint8Array): number {
  const text = utf8.decode(data.subarray(0, Math.min(data.length, 4096)));
  const nl = text.indexOf('\n');
  try {
    return (JSON.parse(nl < 0 ? text : text.slice(0, nl)) as EventHead).ts;
  } catch {
    return Number.NaN;
  }
}
