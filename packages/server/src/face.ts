import type { Principal, SubscribeGrant } from './auth/authorizer.js';
import type { Logger } from './core/logger.js';
import type { Engine } from './engines/engine.js';
import type { AppendResult, TopicFilter } from './engines/history-store.js';
import type { HubRequest } from './http/hub-request.js';
import type { StreamSink } from './http/stream-sink.js';
import type { Hub, Middleware, RouteResult } from './hub.js';
import type { ParsedPublish } from './routes/parse-publish.js';
import type { ConnectionHost, SseConnection } from './transports/sse/sse-connection.js';

/**
 * A stream another protocol face (Mercure) opens on the hub's machinery: the hub keeps the
 * connection with its own (limits, heartbeats, expiry, forced logout, graceful shutdown, admin
 * views) and runs the gap-free catch-up; the face decides the frames and who feeds it live events.
 */
export interface StreamSpec {
  /** Response headers (the SSE ones included). */
  readonly headers: Record<string, string>;
  /** Builds the connection, in `replaying` state when `replay` is given. */
  connect(id: string, host: ConnectionHost, sink: StreamSink): SseConnection;
  /** Frames written before the connection is registered (may be none). */
  greeting?(conn: SseConnection): Uint8Array | undefined;
  /**
   * Adds the connection to the dispatcher that feeds it live events; returns how to remove it
   * (called once when the connection closes).
   */
  register(conn: SseConnection): () => void;
  /** History to send before going live; absent for a live-only stream. */
  readonly replay?:
    | {
        readonly from: { readonly lastEventId: string } | { readonly pos: string };
        readonly filter: TopicFilter;
        /** See `catchUp`: `ignore` replays what history holds even if retention removed some. */
        readonly truncation?: 'reset' | 'ignore' | undefined;
      }
    | undefined;
}

/** What a protocol face needs from the hub beyond its public API. */
export interface FaceHost extends Hub {
  readonly log: Logger;
  readonly engine: Engine;
  /** Whether `close()` has begun. */
  readonly isClosing: boolean;
  /** Turns a spec into the route result that opens the stream. */
  openStream(spec: StreamSpec): RouteResult;
  /**
   * Appends and fans out validated events (meta included), like `hub.publish`.
   * @param publisher who publishes (`publisherKey`), which scopes supplied ids.
   *   @defaultValue the backend's key, as for `hub.publish`
   */
  publishParsed(items: readonly ParsedPublish[], publisher?: string): Promise<AppendResult[]>;
  /**
   * Takes the connection slots of a stream about to open (per-user and per-address limits).
   * @returns the principal to give the connection (a fresh object keying its slots).
   * @throws HubError 429 when a limit is reached.
   */
  admitStream(principal: Principal, req: HubRequest): Promise<Principal>;
  /**
   * Counts `events` against the publish rate; with 0, only checks (taking nothing) that one event
   * would pass now, before a body is read.
   * @throws HubError 429 when `principal` publishes faster than the hub's limits allow.
   */
  checkPublishRate(principal: Principal, req: HubRequest, events: number): Promise<void>;
  /** Runs `fn` when the hub closes, before the engine is closed. */
  onClose(fn: () => void | Promise<void>): void;
  /** Adds a middleware outside every other one (it runs first). */
  useFirst(middleware: Middleware): void;
  /** Marks a GET path whose answer is an event stream, so the stream front may serve it. */
  addStreamPath(path: string): void;
}

/** The grant of a stream opened by a face that filters events itself. */
export function faceGrant(principal: Principal): SubscribeGrant {
  return { principal };
}
