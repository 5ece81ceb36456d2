import type { BackoffOptions } from './backoff.js';
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

/** How long a page may stay hidden before `pauseWhenHidden: true` closes the stream. */
export const DEFAULT_PAUSE_AFTER_MS = 30_000;
