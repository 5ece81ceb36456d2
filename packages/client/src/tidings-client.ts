import type { EventDataOf, EventTypeOf, ForceLogoutPayload } from '@tidings/protocol';
import type {
  AnyEventDefinitions,
  ClientEvent,
  ClientStats,
  EventMeta,
  InvalidEvent,
  ResetInfo,
} from './client-event.js';
import type { ConnectionState } from './connection-state.js';
import type { EventQuery } from './event-buffer.js';

/** The event types declared in `D`; `never` without definitions. */
export type DeclaredType<D> = D extends AnyEventDefinitions ? EventTypeOf<D> : never;

/**
 * What a client with definitions `D` accepts as the event type `K` of a listener or a query:
 * `K` itself when `D` declares it (or when there are no definitions, so any name goes), else the
 * declared types, so that a misspelt or undeclared type is a compile error naming the valid ones.
 * A plain `string` is refused too when there are definitions: listen with `'*'` and narrow on
 * `declared` and `type` for events outside the contract.
 * @example
 * ```ts
 * const client = createClient({ url, topics, events }); // defineEvents({ 'lease-added': … })
 * client.on('lease-added', (lease) => {}); // ok, lease typed
 * client.on('lease-addded', () => {}); // error: not assignable to '"lease-added" | …'
 * ```
 */
export type KnownType<D, K extends string> = D extends AnyEventDefinitions
  ? string extends K
    ? EventTypeOf<D>
    : K extends EventTypeOf<D>
      ? K
      : EventTypeOf<D>
  : K;

/** Options of `client.command()`. */
export interface CommandCallOptions {
  /** How long to wait for the answer. @defaultValue the client option `commandTimeoutMs` (15000) */
  readonly timeoutMs?: number | undefined;
}

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/**
 * The recent events a client keeps (`bufferSize` of them), oldest first.
 * @typeParam D - the event definitions the client was created with.
 */
export interface EventLog<D> {
  /** How many events are held. */
  readonly size: number;
  /** The most it holds (`bufferSize`). */
  readonly capacity: number;
  /** Every held event. */
  all(): ClientEvent<D>[];
  /**
   * The held events of one type: payloads typed for a declared type. With definitions, only
   * their types are accepted (see `KnownType`).
   */
  ofType<const K extends string>(
    type: KnownType<D, K>,
  ): (K extends DeclaredType<D> ? Extract<ClientEvent<D>, { type: K }> : ClientEvent<D>)[];
  /**
   * The held events matching a query, e.g. `{ type: 'lease-added', where: { ip: '10.0.0.7' } }`
   * or `{ topic: 'tenant/acme/**', where: (data) => … }`. With definitions, `type` must be one
   * of theirs.
   */
  find(query: LogQuery<D>): ClientEvent<D>[];
  /** The newest held event, or the newest matching `query`. */
  last(query?: LogQuery<D>): ClientEvent<D> | undefined;
  /** Forgets every held event. */
  clear(): void;
}

/** A query over a client's {@link EventLog}: `type`, when given, is a declared one with definitions. */
export type LogQuery<D> = EventQuery<ClientEvent<D>> & {
  type?: (D extends AnyEventDefinitions ? EventTypeOf<D> : string) | undefined;
};

/**
 * A client for one subscription. Create it with `createClient`, register listeners, then
 * `connect()`. Every listener method returns its unsubscribe function; a listener that throws is
 * logged and never disturbs the others or the connection.
 * @typeParam D - the event definitions from `defineEvents`, which type the listeners.
 */
export interface TidingsClient<D extends AnyEventDefinitions | undefined = undefined> {
  /**
   * The current connection state. The same object is returned until something changes, so it
   * can feed `useSyncExternalStore` directly.
   */
  readonly state: ConnectionState;
  /** The recent events, queryable by type and by field. */
  readonly events: EventLog<D>;
  /** Delivered, duplicate and invalid event counts. */
  readonly stats: ClientStats;
  /**
   * `solo` with a connection of its own; with `shareAcrossTabs`, `leader` in the tab that holds
   * the shared connection and `follower` in the others.
   */
  readonly role: 'solo' | 'leader' | 'follower';

  /** Calls `listener` with every event, of any type, in order. */
  on(type: '*', listener: (event: ClientEvent<D>) => void): Unsubscribe;
  /**
   * Calls `listener` with the payload of every event of type `type`: checked and typed for a
   * declared type. With definitions, an undeclared type does not compile (see `KnownType`);
   * without, any type is accepted and payloads are `unknown`.
   */
  on<const K extends string>(
    type: KnownType<D, K>,
    listener: (data: EventDataOf<D, K>, meta: EventMeta<K>) => void,
  ): Unsubscribe;

  /**
   * Calls `listener` with the new state whenever the status or its details change. Not called
   * for every event: read `state.lastEventId` and `state.lastEventAt` when you need them.
   */
  onState(listener: (state: ConnectionState) => void): Unsubscribe;
  /**
   * Calls `listener` when events may have been missed: the hub could not replay from the last id
   * (`event: reset`: the id was unknown, or history no longer reaches back), or the client
   * reconnected before any event had given it an id to resume from. Refetch your state, then
   * carry on live.
   * @see ResetInfo
   */
  onReset(listener: (reset: ResetInfo) => void): Unsubscribe;
  /** Calls `listener` with each event whose payload failed its schema (counted in `stats.invalid`). */
  onInvalid(listener: (event: InvalidEvent) => void): Unsubscribe;
  /**
   * Calls `listener` when the hub ends the session (`event: force-logout`). The client then stays
   * `disconnected` (reason `force-logout`) until `connect()`: route the user to the sign-in page.
   */
  onForceLogout(listener: (payload: ForceLogoutPayload) => void): Unsubscribe;

  /**
   * Opens the stream (or, with `shareAcrossTabs`, joins the tabs' shared one). Does nothing while
   * already connected or connecting. After `disconnect()`, an error or a forced logout it connects
   * again, resuming after the last event received.
   */
  connect(): void;
  /** Closes the stream and stops reconnecting; with `shareAcrossTabs`, this tab leaves the group. */
  disconnect(): void;
  /** Replaces the connection now, resuming after the last event received. */
  reconnect(): void;

  /**
   * Runs a command registered on the hub with `hub.onCommand(name, …)` and resolves with its
   * result. Over WebSocket it is a `command` message answered by `ack`/`nack`; sent while the
   * connection is being (re)made, it waits for it. On the SSE transport it is
   * `POST /commands/{name}` with the token and headers of the stream. With `shareAcrossTabs`, a
   * follower tab's command is run by the tab holding the connection.
   *
   * Rejects with a `CommandError`: the hub's code (`unknown-command`, `forbidden`,
   * `command-failed`, `timeout`, or the application's), or `timeout` / `connection-lost` when the
   * answer did not come (the command may or may not have run: it is never sent twice), or
   * `not-connected` on WebSocket before `connect()`.
   * @example
   * ```ts
   * const { status } = await client.command('job.pause', { jobId: '42' }, { timeoutMs: 5000 });
   * ```
   */
  command<R = unknown>(name: string, args?: unknown, options?: CommandCallOptions): Promise<R>;
  /**
   * Adds topics or patterns at runtime. On WebSocket the open connection subscribes at once and
   * the promise resolves when the hub has accepted them (rejecting with `forbidden` for topics the
   * token does not grant); events on them after the last received id are replayed first. On SSE
   * the stream is replaced with one for the new set, resuming after the last event. Before
   * `connect()`, the topics are simply used when it connects.
   */
  subscribe(topics: string | readonly string[]): Promise<void>;
  /**
   * Removes topics or patterns at runtime (WebSocket: on the open connection; SSE: by
   * reconnecting). The last topic cannot be removed: call `disconnect()` instead.
   */
  unsubscribe(topics: string | readonly string[]): Promise<void>;
  /** The topics and patterns subscribed to now. */
  readonly topics: readonly string[];
  /** The transport in use: with `transport: 'auto'`, `'sse'` once it has fallen back. */
  readonly transport: 'sse' | 'websocket';
  /**
   * The last round-trip time to the hub over WebSocket, in ms (the client pings at the hub's
   * heartbeat interval, and once right after connecting), measured with `environment.timers.now()`,
   * so in whole milliseconds in browsers; `null` before the first answer and on SSE.
   */
  readonly latencyMs: number | null;
}
