import { type EventDefinitions, type ForceLogoutPayload, validatePattern } from '@tidings/protocol';
import { browserEnvironment } from './browser-environment.js';
import { clientConnection } from './client-connection.js';
import type {
  AnyEventDefinitions,
  ClientEvent,
  ClientStats,
  EventMeta,
  InvalidEvent,
  ResetInfo,
} from './client-event.js';
import type { ClientOptions } from './client-options.js';
import { CommandError } from './command-error.js';
import type { Commands } from './commands.js';
import type { Connection } from './connection.js';
import { type ConnectionState, IDLE_STATE, type NetworkState } from './connection-state.js';
import { createDebugLog, type DebugLog, debugEnabled } from './debug-log.js';
import type { ClientEnvironment } from './environment.js';
import { EventBuffer } from './event-buffer.js';
import { EventPipeline, type TidingsEventWithFlag } from './event-pipeline.js';
import { ListenerSet } from './listener-set.js';
import { type ResolvedOptions, resolveOptions } from './resolve-options.js';
import { shareAcrossTabs } from './share-across-tabs.js';
import { sseTransport } from './sse-transport.js';
import type { TabGroup } from './tab-group.js';
import type { CommandCallOptions, EventLog, TidingsClient, Unsubscribe } from './tidings-client.js';
import type { Transport } from './transport.js';
import { type VisibilityPolicy, visibilityPolicy } from './visibility-policy.js';

type AnyListener = (data: unknown, meta: EventMeta) => void;

/**
 * The client `createClient` returns: the one place where its parts meet. It owns the listeners,
 * the event buffer and the pipeline, holds the connection (client-connection.ts), and hands the
 * tab protocol (tab-group.ts), commands and topic changes (commands.ts) to chunks loaded on first
 * use, which reach back into it through the host interfaces they declare.
 */
class ClientImpl implements TidingsClient<EventDefinitions | undefined> {
  readonly o: ResolvedOptions;
  readonly env: ClientEnvironment;
  readonly log: DebugLog;
  readonly sseTransport: Transport;
  readonly pipeline: EventPipeline;
  private readonly buffer: EventBuffer<TidingsEventWithFlag>;
  private readonly report = (message: string, e: unknown) => this.log.error(message, e);
  readonly typed = new Map<string, ListenerSet<[unknown, EventMeta]>>();
  private readonly wildcard = new ListenerSet<[ClientEvent<undefined>]>('"*"', this.report);
  private readonly stateListeners = new ListenerSet<[ConnectionState]>('onState', this.report);
  private readonly resetListeners = new ListenerSet<[ResetInfo]>('onReset', this.report);
  private readonly invalidListeners = new ListenerSet<[InvalidEvent]>('onInvalid', this.report);
  private readonly logoutListeners = new ListenerSet<[ForceLogoutPayload]>('onForceLogout', this.report);
  net: NetworkState = IDLE_STATE;
  private snapshot: ConnectionState | undefined;
  private snapshotEventId: string | null = null;
  /** The connection this tab holds: its own, or as leader the shared one. */
  connection: Connection | undefined;
  tabs: TabGroup | undefined;
  /** While the tab group loads (`shareAcrossTabs`): connecting waits for it. */
  tabsReady: Promise<void> | undefined;
  /** Between connect() and disconnect(). */
  active = false;
  private unwatch: (() => void)[] = [];
  /** Resumes, nudges or pauses the connection as pages show and hide. */
  readonly visibility: VisibilityPolicy;
  readonly topicSet: Set<string>;
  latency: number | null = null;
  ext: Commands | undefined;
  private loading: Promise<typeof import('./channel.js')> | undefined;

  constructor(options: ClientOptions<EventDefinitions | undefined>) {
    this.env = { ...browserEnvironment(), ...options?.environment };
    const o = resolveOptions(options, this.env.baseUrl);
    if (o.transport !== 'sse' && !this.env.WebSocket) {
      if (o.transport === 'websocket') {
        throw new TypeError(
          'transport: "websocket" needs environment.WebSocket (in Node 20, the "ws" package\'s WebSocket).',
        );
      }
    }
    // 'auto' without WebSocket is SSE.
    this.o = o.transport === 'auto' && !this.env.WebSocket ? { ...o, transport: 'sse' } : o;
    this.topicSet = new Set(this.o.topics);
    this.log = createDebugLog(debugEnabled(this.o.debug, this.env), this.env.logger);
    this.sseTransport = sseTransport(this.o, this.env);
    this.visibility = visibilityPolicy(this, this.env, this.log, this.o.pauseAfterMs);
    this.buffer = new EventBuffer(this.o.bufferSize);
    this.pipeline = new EventPipeline(
      this.o.definitions,
      this.o.lastEventId,
      this.o.bufferSize,
      () => this.env.timers.now(),
      {
        event: (e) => this.deliver(e),
        reset: (p) => this.resetListeners.emit(p),
        forceLogout: (p) => this.logoutListeners.emit(p),
        invalid: (e) => this.invalidListeners.emit(e),
      },
      this.log,
    );
    if (this.o.shareKey !== undefined) shareAcrossTabs(this, this.o.shareKey);
  }

  // ---- reading --------------------------------------------------------------------------------

  get state(): ConnectionState {
    const p = this.pipeline;
    if (
      !this.snapshot ||
      this.snapshotEventId !== p.lastEventId ||
      this.snapshot.lastEventAt !== p.lastEventAt
    ) {
      this.snapshot = { ...this.net, lastEventId: p.lastEventId, lastEventAt: p.lastEventAt };
      this.snapshotEventId = p.lastEventId;
    }
    return this.snapshot;
  }

  get events(): EventLog<EventDefinitions | undefined> {
    return this.buffer as unknown as EventLog<EventDefinitions | undefined>;
  }

  get stats(): ClientStats {
    const p = this.pipeline;
    return { received: p.received, duplicates: p.duplicates, invalid: p.invalid };
  }

  get role(): 'solo' | 'leader' | 'follower' {
    if (!this.tabs) return 'solo';
    return this.tabs.leader ? 'leader' : 'follower';
  }

  get topics(): readonly string[] {
    return [...this.topicSet];
  }

  get latencyMs(): number | null {
    return this.latency;
  }

  get transport(): 'sse' | 'websocket' {
    return (
      (this.role === 'follower' && this.tabs?.transport) ||
      this.connection?.kind ||
      (this.o.transport === 'sse' ? 'sse' : 'websocket')
    );
  }

  // ---- commands and topics (in a chunk loaded on first use) -----------------------------------

  command<R = unknown>(name: string, args?: unknown, options?: CommandCallOptions): Promise<R> {
    return this.commands().then((x) => x.command(name, args, options?.timeoutMs)) as Promise<R>;
  }

  subscribe(topics: string | readonly string[]): Promise<void> {
    return this.commands().then((x) => x.changeTopics('subscribe', topics));
  }

  unsubscribe(topics: string | readonly string[]): Promise<void> {
    return this.commands().then((x) => x.changeTopics('unsubscribe', topics));
  }

  load(): Promise<typeof import('./channel.js')> {
    // A failed load (offline) is tried again next time.
    this.loading ??= import('./channel.js').catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  commands(): Promise<Commands> {
    return this.load().then((m) => {
      this.ext ??= new m.Commands(this, CommandError, validatePattern);
      return this.ext;
    });
  }

  // ---- listeners ------------------------------------------------------------------------------

  on(type: string, listener: AnyListener | ((event: ClientEvent<undefined>) => void)): Unsubscribe {
    if (typeof type !== 'string' || type === '') {
      throw new TypeError('client.on needs an event type such as "lease-added", or "*" for every event.');
    }
    if (type === '*') return this.wildcard.add(listener as (event: ClientEvent<undefined>) => void);
    let set = this.typed.get(type);
    if (!set) {
      set = new ListenerSet(`"${type}"`, this.report);
      this.typed.set(type, set);
      this.connection?.listen(type);
    }
    return set.add(listener as AnyListener);
  }

  onState(listener: (state: ConnectionState) => void): Unsubscribe {
    return this.stateListeners.add(listener);
  }

  onReset(listener: (reset: ResetInfo) => void): Unsubscribe {
    return this.resetListeners.add(listener);
  }

  onInvalid(listener: (event: InvalidEvent) => void): Unsubscribe {
    return this.invalidListeners.add(listener);
  }

  onForceLogout(listener: (payload: ForceLogoutPayload) => void): Unsubscribe {
    return this.logoutListeners.add(listener);
  }

  // ---- control --------------------------------------------------------------------------------

  connect(): void {
    this.activate();
    const ready = this.tabsReady;
    if (ready) {
      if (this.net.status !== 'connecting') {
        this.setNet({ ...this.net, status: 'connecting', reason: null, logoutReason: null });
      }
      void ready.then(() => this.active && this.connect());
      return;
    }
    if (this.tabs) this.tabs.connect();
    else this.ensureConnection().connect();
    this.visibility.changed();
  }

  disconnect(): void {
    this.active = false;
    for (const u of this.unwatch) u();
    this.unwatch = [];
    this.visibility.cancel();
    // Leave first, so the group never hears this tab's "disconnected": the next leader takes over.
    this.tabs?.leave();
    const c = this.connection;
    if (this.tabs) this.connection = undefined;
    if (c) c.disconnect('client');
    else if (this.net.status !== 'idle')
      this.setNet({ ...this.net, status: 'disconnected', reason: 'client' });
  }

  reconnect(): void {
    if (!this.active || this.tabsReady || (this.tabs && !this.tabs.joined)) {
      this.connect();
      return;
    }
    if (this.tabs) this.tabs.reconnect();
    else this.ensureConnection().reconnect();
  }

  // ---- internals ------------------------------------------------------------------------------

  ensureConnection(): Connection {
    this.connection ??= clientConnection(this);
    return this.connection;
  }

  private deliver(e: TidingsEventWithFlag): void {
    this.buffer.push(e);
    const set = this.typed.get(e.type);
    if (set && set.size > 0) set.emit(e.data, { id: e.id, topic: e.topic, type: e.type, time: e.time });
    this.wildcard.emit(e as ClientEvent<undefined>);
  }

  setNet(s: NetworkState): void {
    this.net = s;
    this.snapshot = undefined;
    this.stateListeners.emit(this.state);
  }

  /** Starts watching the host: online, visibility. */
  private activate(): void {
    if (this.active) return;
    this.active = true;
    this.unwatch.push(
      this.env.online.subscribe((online) => {
        if (online && this.connection && this.role !== 'follower') this.connection.nudge('back online');
      }),
      this.env.visibility.subscribe((visible) => {
        if (this.tabs) this.tabs.pageVisible(visible);
        else this.visibility.changed();
      }),
    );
  }
}

/**
 * Creates a client for one subscription. It does not connect until `connect()`: register
 * listeners first.
 *
 * @example
 * ```ts
 * import { createClient } from '@tidings/client';
 * import { events } from './events'; // defineEvents({...}), shared with the server
 *
 * const client = createClient({
 *   url: 'https://app.example/events',
 *   topics: ['leases', 'tenant/acme/**'],
 *   events,
 *   token: () => auth.getToken(),
 * });
 * client.on('lease-added', (data, meta) => console.log(data.lease.ip, meta.id));
 * client.onState((s) => console.log(s.status));
 * client.connect();
 * ```
 * @throws {TypeError} naming the option, when an option is invalid or the environment lacks
 *   `fetch` (or `EventSource` with `useNativeEventSource`).
 * @see ClientOptions for every option and its default.
 */
export function createClient<const D extends AnyEventDefinitions | undefined = undefined>(
  options: ClientOptions<D>,
): TidingsClient<D> {
  return new ClientImpl(
    options as ClientOptions<EventDefinitions | undefined>,
  ) as unknown as TidingsClient<D>;
}
