/** One parsed SSE frame (an event; comments and `retry:` are reported separately). */
export interface SseFrame {
  /** The `id:` field; hub events (`connected`, `heartbeat`, `reset`…) have none. */
  readonly id: string | undefined;
  /** The `event:` field; `undefined` means `message`. */
  readonly event: string | undefined;
  readonly data: string;
}

/** What a transport needs to open one stream. */
export interface TransportRequest {
  /** The full URL, topics (and for EventSource the token and resume id) in the query. */
  readonly url: string;
  /** Request headers; the fetch transport sends them, EventSource cannot. */
  readonly headers: Readonly<Record<string, string>>;
  readonly credentials: RequestCredentials;
  /** Event types to listen for; only EventSource needs them (it dispatches by type name). */
  readonly eventTypes: Iterable<string>;
}

/** Why a stream ended or could not open. */
export type TransportFailure =
  /** The hub ended an open stream cleanly (shutdown, token expiry, a forced disconnect). */
  | { readonly kind: 'ended' }
  /** The connection failed or broke: refused, reset, DNS, offline. */
  | { readonly kind: 'network'; readonly message: string }
  /** The hub answered with a status other than 200. */
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly message: string;
      readonly code?: string | undefined;
      /** From a `Retry-After` header. */
      readonly retryAfterMs?: number | undefined;
    }
  /** A 200 that is not an event stream: the URL points at something other than the hub. */
  | { readonly kind: 'not-event-stream'; readonly message: string }
  /** EventSource failed before opening; browsers hide the HTTP status from it. */
  | { readonly kind: 'refused'; readonly message: string };

/** Callbacks from a transport, in wire order. `close` is called once, unless the caller closed it. */
export interface TransportHandlers {
  open(): void;
  frame(frame: SseFrame): void;
  retry(ms: number): void;
  /** Bytes arrived (any bytes: events, heartbeats, comments). Feeds the watchdog. */
  activity(): void;
  close(failure: TransportFailure): void;
}

/** An open (or opening) stream. */
export interface TransportHandle {
  /** Aborts the stream; no callback fires afterwards. */
  close(): void;
  /** Starts listening for one more event type (EventSource only; the fetch transport sees all). */
  listen?(type: string): void;
}

/** Opens streams. */
export type Transport = (request: TransportRequest, handlers: TransportHandlers) => TransportHandle;
