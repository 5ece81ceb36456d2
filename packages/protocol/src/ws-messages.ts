/**
 * The WebSocket channel (`GET /ws`): JSON messages, one per text frame, each with an `op` field.
 *
 * The protocol is versioned by the WebSocket subprotocol {@link WS_SUBPROTOCOL}; the hub's
 * `connected` message repeats the version as `v`. A client message may carry `v` too; a version the
 * hub does not speak is refused with `nack` `unsupported-version`. Events use the same envelope as
 * SSE (`{id, topic, type, time, data}`), flattened into the message beside `op: "event"`.
 */

import type { TidingsEvent } from './envelope.js';
import { validatePattern } from './topic.js';

/** The subprotocol a client offers in `Sec-WebSocket-Protocol` (`new WebSocket(url, WS_SUBPROTOCOL)`). */
export const WS_SUBPROTOCOL = 'tidings.v1';

/** The message format version spoken on {@link WS_SUBPROTOCOL}. */
export const WS_PROTOCOL_VERSION = 1;

// ---- client → hub ------------------------------------------------------------------------------

/**
 * Adds topics or patterns to a live connection. With `lastEventId`, events on the new topics after
 * that id are replayed first, as on an SSE resume; without it the new topics start live. Acked
 * with `{"topics": [...all subscribed]}`.
 */
export interface WsSubscribeMessage {
  readonly op: 'subscribe';
  /** Correlates the `ack`/`nack`; without it only a `nack` (with `id: null`) is sent. */
  readonly id?: string | undefined;
  readonly topics: readonly string[];
  readonly lastEventId?: string | undefined;
  readonly v?: number | undefined;
}

/** Removes topics or patterns from a live connection. Acked with `{"topics": [...remaining]}`. */
export interface WsUnsubscribeMessage {
  readonly op: 'unsubscribe';
  readonly id?: string | undefined;
  readonly topics: readonly string[];
  readonly v?: number | undefined;
}

/** Runs a command registered with `hub.onCommand(name, …)`; answered with `ack {result}` or `nack`. */
export interface WsCommandMessage {
  readonly op: 'command';
  readonly id: string;
  readonly name: string;
  /** Any JSON value; absent means `null`. */
  readonly args?: unknown;
  readonly v?: number | undefined;
}

/** Asks for a `pong` with the same id (round-trip time). */
export interface WsPingMessage {
  readonly op: 'ping';
  readonly id: string;
  readonly v?: number | undefined;
}

/** Any message a client sends. */
export type WsClientMessage = WsSubscribeMessage | WsUnsubscribeMessage | WsCommandMessage | WsPingMessage;

// ---- hub → client ------------------------------------------------------------------------------

/**
 * The first message on every connection, the counterpart of SSE's `event: connected`: the
 * connection id, the subscribed topics, the heartbeat interval (the client pings at this pace)
 * and the resume point (`lastEventId`: the id the client asked to resume from, else the hub's
 * current history position).
 */
export interface WsConnectedMessage {
  readonly op: 'connected';
  readonly v: number;
  readonly connectionId: string;
  readonly topics: readonly string[];
  readonly heartbeatMs: number;
  readonly serverTime: string;
  readonly lastEventId: string;
}

/** A stored event: the SSE envelope with `op: "event"`. */
export type WsEventMessage = TidingsEvent & { readonly op: 'event' };

/** A request succeeded. */
export interface WsAckMessage {
  readonly op: 'ack';
  readonly id: string;
  /** The command's result; for `subscribe`/`unsubscribe`, `{"topics": [...]}`. */
  readonly result: unknown;
}

/** Why a request failed: `code` for programs (see `ERROR_CODES`), `message` a sentence for people. */
export interface WsErrorBody {
  readonly code: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

/** A request failed. `id` is `null` when the message had no readable id (malformed JSON…). */
export interface WsNackMessage {
  readonly op: 'nack';
  readonly id: string | null;
  readonly error: WsErrorBody;
}

/** The answer to a `ping`. */
export interface WsPongMessage {
  readonly op: 'pong';
  readonly id: string;
}

/** Events may have been missed (see `ResetPayload`); sent before any replayed event. */
export interface WsResetMessage {
  readonly op: 'reset';
  readonly reason: 'history-truncated' | 'unknown-id';
  readonly lastEventId: string;
}

/** The token expired; the hub closes with {@link WS_CLOSE}.tokenExpired next. */
export interface WsTokenExpiredMessage {
  readonly op: 'token-expired';
  readonly expiredAt: string;
}

/** The session was ended by the server; the hub closes with {@link WS_CLOSE}.forceLogout next. */
export interface WsForceLogoutMessage {
  readonly op: 'force-logout';
  readonly reason: string;
}

/**
 * The connection was refused (what `/events` answers with an HTTP error): sent right after the
 * handshake, then the hub closes with `4000 + status`. Browsers cannot see the status of a
 * refused handshake, so the hub accepts it to say why.
 */
export interface WsErrorMessage {
  readonly op: 'error';
  /** The HTTP status `/events` would have answered. */
  readonly status: number;
  readonly error: WsErrorBody;
}

/** Any message the hub sends. */
export type WsHubMessage =
  | WsConnectedMessage
  | WsEventMessage
  | WsAckMessage
  | WsNackMessage
  | WsPongMessage
  | WsResetMessage
  | WsTokenExpiredMessage
  | WsForceLogoutMessage
  | WsErrorMessage;

/**
 * Close codes the hub uses besides the standard ones (1000 normal, 1001 the hub is shutting down,
 * 1003 a binary frame, 1009 a message over the hard size limit, 1011 internal error).
 */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  messageTooBig: 1009,
  internalError: 1011,
  /** Closed by `hub.disconnect` or an admin. */
  disconnected: 4000,
  /** After `token-expired`: reconnect with a fresh token. */
  tokenExpired: 4001,
  /** After `force-logout`: do not reconnect. */
  forceLogout: 4002,
  /** The peer did not answer the hub's pings. */
  heartbeatTimeout: 4009,
  /** This node may have missed events (its broker reported a gap): reconnect and resume. */
  resync: 4010,
  /** Refused at the handshake: the code is `4000 + HTTP status` (4401, 4403, 4429, 4503…). */
  refusedBase: 4000,
} as const;

// ---- commands ----------------------------------------------------------------------------------

/** Limits on command names and message ids. */
export const WS_LIMITS = {
  /** Longest command name. */
  maxCommandNameLength: 128,
  /** Longest message id. */
  maxIdLength: 128,
  /** Longest `lastEventId`. */
  maxLastEventIdLength: 1024,
} as const;

const NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const ID = /^[\x21-\x7e]+$/;

/**
 * Checks a command name: dot-separated segments of letters, digits, `_` and `-`, such as
 * `job.pause`.
 * @returns a sentence describing the problem, or `undefined` when valid.
 */
export function validateCommandName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) {
    return 'A command "name" must be a non-empty string such as "job.pause".';
  }
  if (name.length > WS_LIMITS.maxCommandNameLength) {
    return `The command name is ${name.length} characters long; the limit is ${WS_LIMITS.maxCommandNameLength}.`;
  }
  if (!NAME.test(name)) {
    return `The command name ${describeClientValue(name)} must be dot-separated segments of letters, digits, "_" and "-", such as "job.pause".`;
  }
  return undefined;
}

// ---- validation of client messages (used by the hub) --------------------------------------------

/** Bounds checked on a client message before anything else looks at it. */
export const WS_MESSAGE_LIMITS = {
  /**
   * Deepest nesting of arrays and objects in a message (command `args` included). Checked on the
   * text before it is parsed, so a 5,000-deep array costs one linear scan and nothing else.
   */
  maxDepth: 32,
  /** Most entries in a `subscribe` or `unsubscribe` message's `topics`. */
  maxTopics: 256,
} as const;

/**
 * How deep the arrays and objects of a JSON text nest, scanning at most until `limit` is exceeded.
 * Strings are skipped (brackets inside them do not count); the text need not be valid JSON.
 * @returns the depth, or `limit + 1` as soon as the text nests deeper than `limit`.
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* backslash */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return limit + 1;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return max;
}

/**
 * A client-chosen value, shown in an error sentence: a string or number as short JSON (at most
 * `max` characters, then "…"), anything else by its kind only. Never calls `String()` or
 * `toString` on client data, and never serializes a nested structure.
 */
export function describeClientValue(value: unknown, max = 40): string {
  switch (typeof value) {
    case 'string': {
      const json = JSON.stringify(value.length > max ? value.slice(0, max) : value);
      return value.length > max ? `${json.slice(0, -1)}…"` : json;
    }
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'undefined':
      return 'nothing';
    default:
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/** The outcome of {@link parseClientMessage}. */
export type ParsedClientMessage =
  | { readonly ok: true; readonly message: WsClientMessage }
  | { readonly ok: false; readonly id: string | null; readonly error: WsErrorBody };

const FIELDS: Record<WsClientMessage['op'], readonly string[]> = {
  subscribe: ['op', 'v', 'id', 'topics', 'lastEventId'],
  unsubscribe: ['op', 'v', 'id', 'topics'],
  command: ['op', 'v', 'id', 'name', 'args'],
  ping: ['op', 'v', 'id'],
};

/**
 * Parses and checks one text frame from a client. Every refusal carries a code and a sentence
 * saying what to send instead, and the message's `id` when it could be read.
 *
 * The check is structural and total: the nesting depth is bounded before the text is parsed
 * ({@link WS_MESSAGE_LIMITS}), every field is type-checked before it is used, and client values
 * appear in sentences only through {@link describeClientValue}. It never throws, whatever the
 * text (a property-based test holds it to that).
 */
export function parseClientMessage(text: string): ParsedClientMessage {
  if (jsonDepth(text, WS_MESSAGE_LIMITS.maxDepth) > WS_MESSAGE_LIMITS.maxDepth) {
    return bad(
      null,
      'invalid-message',
      `The message nests arrays and objects more than ${WS_MESSAGE_LIMITS.maxDepth} deep; send flatter command arguments.`,
      { limit: WS_MESSAGE_LIMITS.maxDepth },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad(null, 'invalid-json', 'The message is not valid JSON; send one JSON object per text frame.');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return bad(
      null,
      'invalid-message',
      'Every message must be a JSON object with an "op" field, such as {"op":"ping","id":"1"}.',
    );
  }
  const m = raw as Record<string, unknown>;
  const idOk = typeof m.id === 'string' && m.id.length <= WS_LIMITS.maxIdLength && ID.test(m.id);
  const id = idOk ? (m.id as string) : null;
  const op = m.op;
  if (typeof op !== 'string') {
    return bad(
      id,
      'invalid-message',
      'Every message needs an "op" field: "subscribe", "unsubscribe", "command" or "ping".',
    );
  }
  if (!Object.hasOwn(FIELDS, op)) {
    return bad(
      id,
      'unknown-message',
      `The op ${describeClientValue(op)} is unknown; send "subscribe", "unsubscribe", "command" or "ping".`,
    );
  }
  const kind = op as WsClientMessage['op'];
  if (m.v !== undefined && m.v !== WS_PROTOCOL_VERSION) {
    return bad(
      id,
      'unsupported-version',
      `This hub speaks version ${WS_PROTOCOL_VERSION} of the message format, not ${describeClientValue(m.v)}; upgrade the client or leave "v" out.`,
    );
  }
  for (const k of Object.keys(m)) {
    if (!FIELDS[kind].includes(k)) {
      return bad(
        id,
        'invalid-message',
        `A ${kind} message has no field ${describeClientValue(k)}; it takes ${FIELDS[kind]
          .filter((f) => f !== 'op')
          .join(', ')}.`,
      );
    }
  }
  if (m.id !== undefined && !idOk) {
    return bad(
      null,
      'invalid-message',
      `The "id" must be a string of 1 to ${WS_LIMITS.maxIdLength} printable ASCII characters without spaces.`,
    );
  }
  if ((kind === 'command' || kind === 'ping') && id === null) {
    return bad(
      null,
      'invalid-message',
      `A ${kind} message needs an "id" string, which its answer carries back.`,
    );
  }
  if (kind === 'subscribe' || kind === 'unsubscribe') {
    const topics = m.topics;
    if (!Array.isArray(topics) || topics.length === 0) {
      return bad(
        id,
        'invalid-message',
        `A ${kind} message needs "topics": a non-empty list such as ["jobs/42", "tenant/acme/**"].`,
      );
    }
    if (topics.length > WS_MESSAGE_LIMITS.maxTopics) {
      return bad(
        id,
        'too-many-topics',
        `A ${kind} message lists ${topics.length} topics; send at most ${WS_MESSAGE_LIMITS.maxTopics}, or use a wildcard pattern such as "tenant/acme/**".`,
        { limit: WS_MESSAGE_LIMITS.maxTopics },
      );
    }
    for (const t of topics) {
      if (typeof t !== 'string') {
        return bad(
          id,
          'invalid-pattern',
          `Every entry of "topics" must be a string such as "jobs/42", not ${describeClientValue(t)}.`,
        );
      }
      const err = validatePattern(t);
      if (err) return bad(id, 'invalid-pattern', err.message, { topic: t.slice(0, 256) });
    }
    if (kind === 'subscribe' && m.lastEventId !== undefined) {
      const l = m.lastEventId;
      if (typeof l !== 'string' || l.length === 0 || l.length > WS_LIMITS.maxLastEventIdLength) {
        return bad(
          id,
          'invalid-message',
          `The "lastEventId" must be an event id string of at most ${WS_LIMITS.maxLastEventIdLength} characters.`,
        );
      }
    }
  }
  if (kind === 'command') {
    const err = validateCommandName(m.name);
    if (err) return bad(id, 'invalid-message', err);
  }
  return { ok: true, message: m as unknown as WsClientMessage };
}

function bad(
  id: string | null,
  code: string,
  message: string,
  detail?: Record<string, unknown>,
): ParsedClientMessage {
  return { ok: false, id, error: { ...detail, code, message } };
}
