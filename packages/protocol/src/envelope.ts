/**
 * The one event model shared by every transport: the JSON envelope carried in an SSE frame's
 * `data:` line and in a WebSocket `event` message.
 */
import { isSystemEventType } from './system-events.js';

/**
 * An event as delivered to subscribers.
 * @typeParam TData - the payload type, `unknown` until checked against a schema.
 * @typeParam TType - the event type name.
 */
export interface TidingsEvent<TData = unknown, TType extends string = string> {
  /** Opaque, unique id; resume with it as `Last-Event-ID`. */
  readonly id: string;
  /** The topic the event was published to, e.g. `tenant/acme/leases`. */
  readonly topic: string;
  /** The event type, also the SSE `event:` field. */
  readonly type: TType;
  /** When the hub accepted the event, ISO-8601 UTC. */
  readonly time: string;
  /** The payload, any JSON value. */
  readonly data: TData;
}

/** What a publisher sends: `POST /publish` body item or `hub.publish()` argument. */
export interface PublishInput<TData = unknown> {
  /** A valid topic (no wildcards). */
  topic: string;
  /** Event type: 1–128 printable characters, no line breaks. */
  type: string;
  /** JSON-serialisable payload. */
  data: TData;
  /**
   * Optional publisher-chosen id (printable, no CR/LF). Publishing the same id again is
   * idempotent: the original event is returned and nothing is delivered twice.
   */
  id?: string | undefined;
}

/** Limits on the envelope fields a publisher controls. */
export const ENVELOPE_LIMITS = {
  /** Longest event type, in characters. */
  maxTypeLength: 128,
  /** Longest publisher-supplied id, in characters. */
  maxIdLength: 256,
} as const;

const TYPE_CHARS = /^[\x21-\x7e]+$/;
// Printable ASCII and Unicode scalar values: no controls, and no lone surrogates (they would not
// survive UTF-8 encoding, so a client could never resume with the id it was sent).
const ID_CHARS = /^(?:[\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]|[\ud800-\udbff][\udc00-\udfff])+$/;

/**
 * Checks an event type name.
 * @returns a sentence describing the problem, or `undefined` when valid.
 */
export function validateEventType(type: unknown): string | undefined {
  if (typeof type !== 'string' || type.length === 0) {
    return 'The event "type" must be a non-empty string such as "lease-added".';
  }
  if (type.length > ENVELOPE_LIMITS.maxTypeLength) {
    return `The event type is ${type.length} characters long; the limit is ${ENVELOPE_LIMITS.maxTypeLength}.`;
  }
  if (!TYPE_CHARS.test(type)) {
    return `The event type "${type.slice(0, 40)}" may only contain printable ASCII without spaces.`;
  }
  return undefined;
}

/**
 * Checks the type of an event a publisher sends: a valid type (see {@link validateEventType})
 * that is not one of the hub's own events (`connected`, `heartbeat`, `reset`, `token-expired`,
 * `force-logout`), which the hub refuses with 400 `invalid-event`. Apps check with it where
 * events enter, so an event the hub will refuse is never queued.
 * @returns a sentence describing the problem, or `undefined` when the hub accepts the type.
 * @see isSystemEventType
 */
export function validatePublishType(type: unknown): string | undefined {
  const err = validateEventType(type);
  if (err) return err;
  if (isSystemEventType(type as string)) {
    return `The event type "${type as string}" is reserved for the hub's own events; choose another name.`;
  }
  return undefined;
}

/**
 * Checks a publisher-supplied event id: printable characters (Unicode allowed), no CR, LF or
 * NUL, at most {@link ENVELOPE_LIMITS.maxIdLength} characters.
 * @returns a sentence describing the problem, or `undefined` when valid.
 */
export function validateEventId(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0) {
    return 'The event "id", when given, must be a non-empty string.';
  }
  if (id.length > ENVELOPE_LIMITS.maxIdLength) {
    return `The event id is ${id.length} characters long; the limit is ${ENVELOPE_LIMITS.maxIdLength}.`;
  }
  if (!ID_CHARS.test(id)) {
    return 'The event id may only contain printable characters: no line breaks, tabs or NUL.';
  }
  return undefined;
}
