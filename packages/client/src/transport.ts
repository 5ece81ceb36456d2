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
  /** WebSocket only: an `ack` or `nack` from the hub. */
  reply?(message: HubReply): void;
  /** WebSocket only: a ping's round-trip time, in ms. */
  latency?(ms: number): void;
}

/** An `ack` or `nack` from the hub, answering a message the client sent over WebSocket. */
export interface HubReply {
  readonly op: 'ack' | 'nack';
  readonly id: string | null;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** An open (or opening) stream. */
export interface TransportHandle {
  /** Aborts the stream; no callback fires afterwards. */
  close(): void;
  /** Starts listening for one more event type (EventSource only; the fetch transport sees all). */
  listen?(type: string): void;
  /** WebSocket only: sends a message; false when the connection cannot take it now. */
  send?(message: string): boolean;
}

/** Opens streams. */
export type Transport = (request: TransportRequest, handlers: TransportHandlers) => TransportHandle;

/**
 * A transport whose code is loaded on first use (a chunk of its own in app bundles). Event types
 * asked for while it loads are passed on once it has.
 */
export function lazyTransport(load: () => Promise<Transport>): Transport {
  return (req, h) => {
    let inner: TransportHandle | undefined;
    let closed = false;
    const types: string[] = [];
    load().then(
      (t) => {
        if (closed) return;
        inner = t(req, h);
        for (const type of types) inner.listen?.(type);
      },
      (e: Error) =>
        closed || h.close({ kind: 'network', message: `The transport could not be loaded: ${e.message}` }),
    );
    return {
      close() {
        closed = true;
        inner?.close();
      },
      listen(type) {
        if (inner) inner.listen?.(type);
        else types.push(type);
      },
      send: (m) => inner?.send?.(m) === true,
    };
  };
}
