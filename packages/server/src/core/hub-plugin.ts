import type { TopicPattern } from '@tidings/protocol';
import type { Authorizer, Principal, SubscribeGrant } from '../auth/authorizer.js';
import type { Engine } from '../engines/engine.js';
import type { AppendResult, TopicFilter } from '../engines/history-store.js';
import type { HubRequest } from '../http/hub-request.js';
import type { Middleware, RouteResult } from '../http/route.js';
import type { StreamSink } from '../http/stream-sink.js';
import type { MemoryAccountant } from '../limits/memory-accountant.js';
import type { ReplayLimits } from './catch-up.js';
import type { MayReceive } from './delivery-rule.js';
import type { Hub, UpgradeHandler } from './hub-types.js';
import type { Logger } from './logger.js';
import type { CloseReason, HubObserver } from './observer.js';
import type { ParsedPublish } from './parse-publish.js';
import type { SlowConsumerRule } from './slow-consumer-rule.js';
import type { StoredEvent } from './stored-event.js';
import type { Stream, StreamHost } from './stream.js';
import type { FrameEncoder, Subscriber } from './subscriber.js';

/**
 * A feature of the hub (security, a transport, Mercure, presence, commands, admin, metrics). The
 * hub core knows none of them: each adds its routes, middlewares, observers and hooks through
 * the {@link PluginHost} it is installed on.
 *
 * `createHub` installs the built-in features; admin and metrics are opt-in and install on a
 * created hub through `installAdmin` and `installMetrics`, whose plugins need only the public
 * {@link Hub} (a plugin may declare `install(host: Hub)`). `HubOptions` takes no list of plugins:
 * the host exposes the hub's machinery, which is not a stable public API.
 */
export interface HubPlugin {
  /** For error messages and logs. */
  readonly name: string;
  /** Adds the feature to the hub. May throw a `RangeError` naming an unusable option. */
  install(host: PluginHost): void;
}

/**
 * Who may do what, and the abuse limits around it: the security plugin provides it; without one
 * every request is allowed and nothing is limited.
 */
export interface Access {
  /** The authorizer every route uses (limits and revocation wrapped around the configured one). */
  readonly authorizer: Authorizer;
  /**
   * Takes the connection slots of a stream authorized elsewhere (another protocol face); returns
   * the fresh principal that keys them. @throws HubError 429 at a limit.
   */
  admitStream(principal: Principal, req: HubRequest): Promise<Principal>;
  /**
   * Counts `n` published events against the publish rate limits. With `n` = 0 it only checks,
   * taking nothing, that one event would pass now: routes call it before reading a body.
   * @throws HubError 429.
   */
  checkPublishRate(principal: Principal, req: HubRequest, n: number): Promise<void>;
  /**
   * Refuses a WebSocket upgrade from a browser page on an origin the CORS allow-list does not
   * name. @throws HubError 403 `origin-not-allowed`.
   */
  checkWebSocketOrigin(req: HubRequest): void;
}

/**
 * Live events for the streams of a protocol face that keeps its own index (Mercure's selectors,
 * matched against every topic of an update): the registry hands each broker batch to every lane.
 */
export interface DeliveryLane {
  dispatch(events: readonly StoredEvent[]): void;
}

/**
 * A stream another protocol face (Mercure) opens on the hub's machinery: the hub keeps the
 * connection with its own (limits, heartbeats, expiry, forced logout, graceful shutdown, admin
 * views) and runs the gap-free catch-up; the face decides the frames and who feeds it live events.
 */
export interface StreamSpec {
  /** Response headers (the SSE ones included). */
  readonly headers: Record<string, string>;
  /** Builds the connection, in `replaying` state when `replay` is given. */
  connect(id: string, host: StreamHost, sink: StreamSink): Stream;
  /** Frames written before the connection is registered (may be none). */
  greeting?(conn: Stream): Uint8Array | undefined;
  /**
   * Adds the connection to what feeds it live events when that is not the registry's own topic
   * index (by its patterns); returns how to remove it (called once when the connection closes).
   */
  register?(conn: Stream): () => void;
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

/** What a plugin may use and extend: the public hub plus its machinery. */
export interface PluginHost extends Hub {
  readonly log: Logger;
  readonly engine: Engine;
  /** Whether `close()` has begun. */
  readonly isClosing: boolean;
  /** The access rules in force (see {@link provideAccess}). */
  readonly access: Access;
  /** The slow-consumer rule of every transport (one hub-wide sweep). */
  readonly slowConsumers: SlowConsumerRule;
  /** The delivery rule of the hub's own transports (see `deliveryRule`). */
  readonly mayReceive: MayReceive;
  readonly replayLimits: ReplayLimits;
  /** The hub's memory accountant: admission, replays and outbound buffers report to it. */
  readonly budget: MemoryAccountant;
  /** The observers in force (they change with `observe`): read it at each use. */
  observers(): Required<HubObserver>;
  /** A fresh connection id on this node. */
  nextConnectionId(): string;
  /** Replaces the access rules; the security plugin calls it first. */
  provideAccess(access: Access): void;
  /** Serves node:http upgrades (the WebSocket transport). */
  provideUpgrade(handler: UpgradeHandler): void;
  /** Serves `hub.onCommand` (the commands plugin). */
  provideCommands(register: Hub['onCommand']): void;
  /** Feeds a protocol face's own index (Mercure's selectors) from the broker, beside the registry's. */
  addLane(lane: DeliveryLane): void;
  /** The registry of open connections, for transports that open their own (WebSocket). */
  readonly subscribers: SubscriberTable;
  /** Turns a spec into the route result that opens the stream. */
  openStream(spec: StreamSpec): RouteResult;
  /**
   * Appends and fans out validated events (meta included), like `hub.publish`.
   * @param publisher who publishes (`publisherKey`), which scopes supplied ids.
   *   @defaultValue the backend's key, as for `hub.publish`
   */
  publishParsed(items: readonly ParsedPublish[], publisher?: string): Promise<AppendResult[]>;
  /** Runs `fn` when the hub closes, before the engine is closed (the last added first). */
  onClose(fn: () => void | Promise<void>): void;
  /** Runs `fn` as soon as `close()` begins, before in-flight publishes are awaited. */
  onClosing(fn: () => void): void;
  /** Runs a request through the middlewares and routes (a transport's own entry, e.g. upgrades). */
  handle(req: HubRequest): Promise<RouteResult>;
  /** Adds a middleware outside every other one (it runs first). */
  useFirst(middleware: Middleware): void;
  /** Marks a GET path whose answer is an event stream, so the stream front may serve it. */
  addStreamPath(path: string): void;
}

/** The registry as a transport that opens its own connections sees it. */
export interface SubscriberTable {
  /** Adds a frame encoding; returns the dialect its subscribers declare. */
  addDialect(encode: FrameEncoder): number;
  /** Registers an open connection under `patterns` (counted, observed, fed, kept alive). */
  add(conn: Subscriber, patterns: readonly TopicPattern[]): void;
  /** Indexes an open connection under one more pattern. */
  subscribe(conn: Subscriber, pattern: TopicPattern): void;
  /** Takes a pattern of an open connection out of the index. */
  unsubscribe(conn: Subscriber, pattern: TopicPattern): void;
  /** Forgets a connection that closed (called once per connection). */
  connectionClosed(conn: Subscriber, reason: CloseReason): void;
}

/** The grant of a stream opened by a face that filters events itself. */
export function faceGrant(principal: Principal): SubscribeGrant {
  return { principal };
}
