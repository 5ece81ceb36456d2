import { type EventDefinitions, validatePattern } from '@tidings/protocol';
import { type BackoffOptions, DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';
import type { AnyEventDefinitions } from './client-event.js';
import type { ClientEnvironment } from './environment.js';

/** Why the token function is being called. */
export type TokenReason =
  /** Before a connection attempt: return the current token (cached is fine). */
  | 'connect'
  /** The hub answered 401: return a freshly issued token. */
  | 'unauthorized'
  /** The hub sent `event: token-expired`: return a freshly issued token. */
  | 'expired';

/** Returns the bearer token, or `null`/`undefined` to send none. */
export type TokenFunction = (context: {
  readonly reason: TokenReason;
}) => string | null | undefined | Promise<string | null | undefined>;

/** Extra request headers, or a function returning them before each attempt. */
export type HeadersOption =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/** Options of `createClient`. Only `url` and `topics` are required. */
export interface ClientOptions<D extends AnyEventDefinitions | undefined = undefined> {
  /**
   * The hub's event stream endpoint, e.g. `https://app.example/events`. Relative URLs resolve
   * against the page. Topics are added to its query.
   */
  url: string | URL;
  /** Topics and patterns to subscribe to, e.g. `['leases', 'tenant/acme/**']`. */
  topics: readonly string[];
  /**
   * The event contract from `defineEvents`: types `on()` listeners and checks every payload.
   * An event whose payload fails its schema goes to `onInvalid` instead of the listeners.
   * @defaultValue none: every payload is `unknown`
   * @see defineEvents in `@tidings/protocol`
   */
  events?: D;
  /**
   * Bearer token sent as `Authorization: Bearer …` (or `?token=` with `useNativeEventSource`). A
   * function is called before every attempt with `{ reason: 'connect' }`; after a 401 it is called
   * once with `'unauthorized'` and after `event: token-expired` with `'expired'`, when it must
   * return a fresh token. A string cannot be refreshed: a 401 then stops the client.
   * @defaultValue none
   */
  token?: string | TokenFunction | undefined;
  /**
   * Extra request headers. `Last-Event-ID` and `Accept` are managed by the client and cannot be
   * overridden; `Authorization` is replaced when `token` is given. Not available with
   * `useNativeEventSource`.
   * @defaultValue none
   */
  headers?: HeadersOption | undefined;
  /**
   * Whether cookies go with the request: `'include'` for a hub on another origin that
   * authenticates by cookie.
   * @defaultValue `'same-origin'`
   */
  credentials?: RequestCredentials | undefined;
  /** Resume after this event id on the first connection. @defaultValue none: start live */
  lastEventId?: string | undefined;
  /** Reconnection backoff. @see BackoffOptions for each field's default. */
  backoff?: BackoffOptions | undefined;
  /**
   * No byte for this long means the connection is dead, and it is replaced.
   * @defaultValue 3 × the `heartbeatMs` the hub announces in its `connected` event (45000 until
   *   it has)
   */
  heartbeatTimeoutMs?: number | undefined;
  /** How many recent events `client.events` keeps; 0 keeps none. @defaultValue 100 */
  bufferSize?: number | undefined;
  /**
   * Close the stream when the page has been hidden this long, and resume (losing nothing) when it
   * is visible again. `true` means after 30 seconds. With `shareAcrossTabs`, only when every
   * tab is hidden.
   * @defaultValue false
   */
  pauseWhenHidden?:
    | boolean
    | {
        /** How long the page stays hidden before the connection closes, in ms. */
        readonly afterMs: number;
      }
    | undefined;
  /**
   * Share one connection among all tabs of the browser that use the same `url` and `topics`: one
   * tab (elected with Web Locks) holds the connection and relays events and state to the others
   * over `BroadcastChannel`; when it closes, another takes over and resumes from the last id.
   * `{ key }` names the group explicitly. Falls back to a connection of its own, with a warning,
   * where Web Locks or `BroadcastChannel` are missing.
   * @defaultValue false
   */
  shareAcrossTabs?:
    | boolean
    | {
        /** Names the group of tabs that share one connection, instead of the same `url` and `topics`. */
        readonly key: string;
      }
    | undefined;
  /**
   * How events travel:
   * - `'sse'`: Server-Sent Events on `url`. Commands go over `POST /commands/{name}`; a topic change
   *   reconnects, resuming after the last event.
   * - `'websocket'`: the hub's WebSocket channel (`webSocketUrl`): the same events, ids and resume,
   *   plus commands, topic changes without reconnecting, and `latencyMs`.
   * - `'auto'`: WebSocket first; if the upgrade fails (the hub or a proxy refuses it) while SSE
   *   works, SSE from then on, remembered for a day in `environment.storage`.
   * @defaultValue `'sse'`
   */
  transport?: 'sse' | 'websocket' | 'auto' | undefined;
  /**
   * The hub's WebSocket endpoint.
   * @defaultValue `ws` beside `url`, with `ws:`/`wss:` for `http:`/`https:` (`https://app/events` →
   *   `wss://app/ws`)
   */
  webSocketUrl?: string | URL | undefined;
  /**
   * How long `client.command()` waits for the hub's answer unless told otherwise; then it rejects
   * with code `timeout`. A little longer than the hub's own `commandTimeoutMs` (10 s), so the
   * hub's `timeout` arrives first.
   * @defaultValue 15000
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Use the host's `EventSource` instead of streaming `fetch`, for environments without the latter.
   * The token then travels in the URL, headers are impossible, HTTP statuses are invisible (a
   * refusal is retried with backoff), and only event types declared in `events` or passed to
   * `on()` are received.
   * @defaultValue false
   */
  useNativeEventSource?: boolean | undefined;
  /**
   * Log connection decisions through `environment.logger`. In browsers
   * `localStorage['tidings-debug'] = '1'` switches it on too.
   * @defaultValue false
   */
  debug?: boolean | undefined;
  /**
   * Host services: timers, `fetch`, `EventSource`, visibility, online, storage, tab channel,
   * locks, logger. Each given part replaces the default.
   * @defaultValue `browserEnvironment()`
   */
  environment?: Partial<ClientEnvironment> | undefined;
}

/** {@link ClientOptions} checked, defaults filled in. */
export interface ResolvedOptions {
  readonly url: URL;
  readonly topics: readonly string[];
  readonly definitions: EventDefinitions | undefined;
  readonly token: string | TokenFunction | undefined;
  readonly headers: HeadersOption | undefined;
  readonly credentials: RequestCredentials;
  readonly lastEventId: string | undefined;
  readonly backoff: ResolvedBackoff;
  readonly heartbeatTimeoutMs: number | undefined;
  readonly bufferSize: number;
  readonly pauseAfterMs: number | undefined;
  readonly shareKey: string | undefined;
  readonly useNativeEventSource: boolean;
  readonly debug: boolean;
  readonly transport: 'sse' | 'websocket' | 'auto';
  readonly webSocketUrl: URL;
  readonly commandTimeoutMs: number;
}

/** How long a page may stay hidden before `pauseWhenHidden: true` closes the stream. */
export const DEFAULT_PAUSE_AFTER_MS = 30_000;

function fail(message: string): never {
  throw new TypeError(message);
}

function positive(name: string, v: unknown, allowZero = false, allowInfinity = false): number | undefined {
  if (v === undefined) return undefined;
  const ok =
    typeof v === 'number' &&
    !Number.isNaN(v) &&
    (allowZero ? v >= 0 : v > 0) &&
    (Number.isFinite(v) || (allowInfinity && v === Number.POSITIVE_INFINITY));
  if (!ok) {
    fail(
      `The client option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number${allowInfinity ? ' or Infinity' : ''}, not ${JSON.stringify(v) ?? String(v)}.`,
    );
  }
  return v as number;
}

/**
 * Checks options and fills in defaults.
 * @throws {TypeError} naming the option and saying what to pass instead.
 */
export function resolveOptions(
  o: ClientOptions<EventDefinitions | undefined>,
  baseUrl: string | undefined,
): ResolvedOptions {
  if (!o || typeof o !== 'object') fail('createClient needs an options object such as { url, topics }.');
  let url: URL;
  if (o.url instanceof URL) {
    url = new URL(o.url.href);
  } else if (typeof o.url === 'string' && o.url !== '') {
    try {
      url = new URL(o.url, baseUrl);
    } catch {
      fail(
        baseUrl === undefined && !/^[a-z][a-z0-9+.-]*:/i.test(o.url)
          ? `The client url "${o.url}" is relative, and there is no page to resolve it against; give an absolute url such as "http://127.0.0.1:8080/events".`
          : `The client url "${o.url}" is not a valid URL; give one such as "https://app.example/events".`,
      );
    }
  } else {
    fail(
      'The client option url is required: the hub\'s events endpoint, such as "https://app.example/events".',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`The client url must be http: or https:, not ${url.protocol} ("${url.href}").`);
  }
  if (!Array.isArray(o.topics) || o.topics.length === 0) {
    fail("The client option topics must list at least one topic or pattern, such as ['leases'].");
  }
  for (const t of o.topics) {
    const err =
      typeof t === 'string' ? validatePattern(t) : { message: `The topic ${String(t)} is not a string.` };
    if (err) fail(err.message);
  }
  if (o.events !== undefined && (typeof o.events !== 'object' || typeof o.events?.validate !== 'function')) {
    fail('The client option events must come from defineEvents({...}) in @tidings/protocol.');
  }
  if (o.token !== undefined && typeof o.token !== 'string' && typeof o.token !== 'function') {
    fail('The client option token must be a string or a function returning one (or a Promise of one).');
  }
  if (o.headers !== undefined && (o.headers === null || !['object', 'function'].includes(typeof o.headers))) {
    fail(
      'The client option headers must be an object of header names to values, or a function returning one.',
    );
  }
  if (o.useNativeEventSource && o.headers !== undefined) {
    fail(
      'EventSource cannot send headers: drop the headers option, or drop useNativeEventSource to use the default fetch transport.',
    );
  }
  if (o.lastEventId !== undefined && (typeof o.lastEventId !== 'string' || /[\r\n\0]/.test(o.lastEventId))) {
    fail('The client option lastEventId must be an event id string without line breaks.');
  }
  const b = o.backoff ?? {};
  if (typeof b !== 'object') fail('The client option backoff must be an object such as { initialMs: 1000 }.');
  const backoff: ResolvedBackoff = {
    initialMs: positive('backoff.initialMs', b.initialMs) ?? DEFAULT_BACKOFF.initialMs,
    multiplier: positive('backoff.multiplier', b.multiplier) ?? DEFAULT_BACKOFF.multiplier,
    maxMs: positive('backoff.maxMs', b.maxMs) ?? DEFAULT_BACKOFF.maxMs,
    maxAttempts: positive('backoff.maxAttempts', b.maxAttempts, true, true) ?? DEFAULT_BACKOFF.maxAttempts,
    jitter: b.jitter ?? DEFAULT_BACKOFF.jitter,
    resetAfterMs: positive('backoff.resetAfterMs', b.resetAfterMs, true) ?? DEFAULT_BACKOFF.resetAfterMs,
  };
  if (backoff.initialMs > backoff.maxMs) {
    fail(
      `The client option backoff.initialMs (${backoff.initialMs}) is larger than backoff.maxMs (${backoff.maxMs}); raise maxMs or lower initialMs.`,
    );
  }
  if (b.multiplier !== undefined && b.multiplier < 1) {
    fail(`The client option backoff.multiplier must be at least 1, not ${b.multiplier}.`);
  }
  if (Number.isFinite(backoff.maxAttempts) && !Number.isInteger(backoff.maxAttempts)) {
    fail(
      `The client option backoff.maxAttempts must be a whole number or Infinity, not ${backoff.maxAttempts}.`,
    );
  }
  const bufferSize = positive('bufferSize', o.bufferSize, true) ?? 100;
  if (!Number.isInteger(bufferSize))
    fail(`The client option bufferSize must be a whole number, not ${bufferSize}.`);
  let pauseAfterMs: number | undefined;
  if (o.pauseWhenHidden === true) pauseAfterMs = DEFAULT_PAUSE_AFTER_MS;
  else if (typeof o.pauseWhenHidden === 'object' && o.pauseWhenHidden !== null) {
    pauseAfterMs = positive('pauseWhenHidden.afterMs', o.pauseWhenHidden.afterMs, true);
    if (pauseAfterMs === undefined)
      fail('The client option pauseWhenHidden takes true or { afterMs: 30000 }.');
  }
  let shareKey: string | undefined;
  if (o.shareAcrossTabs === true) {
    const u = new URL(url.href);
    u.hash = '';
    shareKey = `${u.href}#${[...new Set(o.topics)].sort().join(',')}`;
  } else if (typeof o.shareAcrossTabs === 'object' && o.shareAcrossTabs !== null) {
    if (typeof o.shareAcrossTabs.key !== 'string' || o.shareAcrossTabs.key === '') {
      fail('The client option shareAcrossTabs takes true or { key: "a-name-for-the-group" }.');
    }
    shareKey = o.shareAcrossTabs.key;
  }
  const transport = o.transport ?? 'sse';
  if (transport !== 'sse' && transport !== 'websocket' && transport !== 'auto') {
    fail(`The client option transport is 'sse', 'websocket' or 'auto', not ${JSON.stringify(transport)}.`);
  }
  let webSocketUrl: URL;
  try {
    webSocketUrl = new URL(o.webSocketUrl ?? 'ws', o.webSocketUrl === undefined ? url : baseUrl);
  } catch {
    fail(`The client option webSocketUrl "${String(o.webSocketUrl)}" is not a valid URL.`);
  }
  // http: → ws:, https: → wss:; ws: and wss: stay.
  webSocketUrl.protocol = webSocketUrl.protocol.replace('http', 'ws');
  return {
    transport,
    webSocketUrl,
    commandTimeoutMs: positive('commandTimeoutMs', o.commandTimeoutMs) ?? 15_000,
    url,
    topics: [...new Set(o.topics)],
    definitions: o.events,
    token: o.token,
    headers: o.headers,
    credentials: o.credentials ?? 'same-origin',
    lastEventId: o.lastEventId,
    backoff,
    heartbeatTimeoutMs: positive('heartbeatTimeoutMs', o.heartbeatTimeoutMs),
    bufferSize,
    pauseAfterMs,
    shareKey,
    useNativeEventSource: o.useNativeEventSource === true,
    debug: o.debug === true,
  };
}
