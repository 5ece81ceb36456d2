/**
 * Everything the client needs from its host, injected so that the same core runs in browsers,
 * workers, Node and tests with fake timers. `browserEnvironment()` supplies the defaults; pass
 * `environment` to `createClient` to replace any part.
 */

/** An opaque timer handle, whatever the host's `setTimeout` returns. */
export type TimerHandle = unknown;

/** Timers and the clock. */
export interface TimerSource {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Epoch milliseconds. */
  now(): number;
}

/** Whether the page is visible, and changes to it. Hosts without pages are always visible. */
export interface VisibilitySource {
  isVisible(): boolean;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (visible: boolean) => void): () => void;
}

/** Whether the host believes it is online, and changes to it. */
export interface OnlineSource {
  isOnline(): boolean;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/** A broadcast channel between the tabs of one origin, as `BroadcastChannel` provides. */
export interface TabChannel {
  /** Sends a structured-clonable message to every other member (never to itself). */
  post(message: unknown): void;
  /** Calls `listener` with each message from another member; returns the unsubscribe function. */
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}

/** Exclusive named locks shared by the tabs of one origin, as the Web Locks API provides. */
export interface LockSource {
  /**
   * Waits for the exclusive lock `name`, then runs `hold`; the lock is released when the promise
   * `hold` returns settles, or when the tab goes away. Rejects (with an `AbortError`) when
   * `signal` aborts before the lock was granted.
   */
  request(name: string, signal: AbortSignal, hold: () => Promise<void>): Promise<void>;
}

/** The part of `fetch` the client uses. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** A message event from an `EventSource`. */
export interface EventSourceMessage {
  readonly data: string;
  readonly lastEventId: string;
}

/** The part of an `EventSource` instance the client uses. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: EventSourceMessage) => void): void;
  close(): void;
}

/** An `EventSource` constructor (the browser's, or a polyfill such as the `eventsource` package). */
export type EventSourceConstructor = new (
  url: string,
  init?: { withCredentials?: boolean },
) => EventSourceLike;

/** Access to a string store such as `localStorage`. */
export interface StorageLike {
  getItem(key: string): string | null;
  /** Where present, `transport: 'auto'` remembers a fallback to SSE here. */
  setItem?(key: string, value: string): void;
}

/** The part of a `WebSocket` instance the client uses (the browser's, or the `ws` package's). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void;
}

/** A `WebSocket` constructor. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Where log lines go. */
export interface ClientLogger {
  debug(message: string, ...detail: unknown[]): void;
  warn(message: string, ...detail: unknown[]): void;
  error(message: string, ...detail: unknown[]): void;
}

/** The host services the client runs on. */
export interface ClientEnvironment {
  timers: TimerSource;
  /** Uniform random numbers in [0, 1), for backoff jitter and tab ids. */
  random: () => number;
  /** Streaming `fetch`; `undefined` where there is none. */
  fetch: FetchLike | undefined;
  /** `EventSource`, for `useNativeEventSource`; `undefined` where there is none. */
  EventSource: EventSourceConstructor | undefined;
  /**
   * `WebSocket`, for `transport: 'websocket'` or `'auto'`; `undefined` where there is none (Node
   * 20: pass the `ws` package's).
   */
  WebSocket: WebSocketConstructor | undefined;
  visibility: VisibilitySource;
  online: OnlineSource;
  /** Where the `tidings-debug` switch is read; `undefined` where there is no storage. */
  storage: StorageLike | undefined;
  /** Opens a channel to the other tabs; `undefined` where `BroadcastChannel` is missing. */
  openChannel: ((name: string) => TabChannel) | undefined;
  /** Web Locks; `undefined` where they are missing. */
  locks: LockSource | undefined;
  /** The page address relative URLs resolve against; `undefined` outside pages. */
  baseUrl: string | undefined;
  logger: ClientLogger;
}
