import type { TopicPattern } from '@tidings/protocol';
import type { Engine } from '../engines/engine.js';
import type { RouteResult } from '../http/route.js';
import type { MemoryAccountant } from '../limits/memory-accountant.js';
import type { ReplayLimits } from './catch-up.js';
import type { MayReceive } from './delivery-rule.js';
import { resyncAfterGap } from './gap-resync.js';
import { Heartbeat, heartbeatFrame } from './heartbeat.js';
import type { DeliveryLane, StreamSpec, SubscriberTable } from './hub-plugin.js';
import type { Logger } from './logger.js';
import type { CloseReason, ConnectionInfo, HubObserver } from './observer.js';
import type { ResolvedHubOptions } from './options.js';
import { replay } from './replay.js';
import type { SlowConsumerRule } from './slow-consumer-rule.js';
import { eventFrame, type StoredEvent } from './stored-event.js';
import type { StreamHost } from './stream.js';
import type { FrameEncoder, Subscriber } from './subscriber.js';
import { SubscriberIndex } from './subscriber-index.js';

const encoder = new TextEncoder();

/** Dialect 0: the SSE frame of event streams. */
const sseFrame: FrameEncoder = (ev) => encoder.encode(eventFrame(ev));

/** What the registry needs from its hub. */
export interface RegistryHost {
  readonly log: Logger;
  readonly engine: Engine;
  readonly options: ResolvedHubOptions;
  readonly budget: MemoryAccountant;
  readonly slowConsumers: SlowConsumerRule;
  readonly replayLimits: ReplayLimits;
  readonly isClosing: boolean;
  readonly mayReceive: MayReceive;
  observers(): Required<HubObserver>;
  nextConnectionId(): string;
}

/**
 * The hub's open event streams (SSE and every protocol face built on them, such as Mercure): it
 * registers each in the topic index, keeps it alive with heartbeats, replays its history before
 * it goes live, fans live events out to it (and to the lanes of transports with their own index),
 * closes it for a resync after a broker gap, and forgets it once closed.
 */
export class Registry implements SubscriberTable, StreamHost {
  /** Every open connection's topics, whatever its transport (Mercure's selectors aside). */
  private readonly index = new SubscriberIndex<Subscriber>();
  private readonly conns = new Map<string, Subscriber>();
  /** Frame encoders by dialect; dialect 0 is the event streams' SSE frame. */
  private readonly encoders: FrameEncoder[] = [sseFrame];
  /** The current event's frame per dialect, while it is dispatched (see {@link visit}). */
  private readonly frames: Array<Uint8Array | undefined> = [undefined];
  private current: StoredEvent | undefined;
  private reached = 0;
  /** How to remove a connection from a feed other than the index (see `StreamSpec.register`). */
  private readonly releases = new Map<string, () => void>();
  private readonly lanes: DeliveryLane[] = [];

  private heartbeat: Heartbeat | undefined;
  /** See `StreamHost.mayReceive`: the hub's rule, read by every delivery. */
  readonly mayReceive: MayReceive;

  constructor(private readonly host: RegistryHost) {
    this.mayReceive = host.mayReceive;
  }

  private detachBroker: (() => void) | undefined;
  private detachGap: (() => void) | undefined;

  /** Starts the heartbeats and live delivery from the engine's broker (with its gap reports). */
  start(): void {
    const broker = this.host.engine.broker;
    this.detachBroker ??= broker.subscribe((events) => this.dispatch(events));
    this.detachGap ??= broker.onGap?.(() => this.resync());
    this.heartbeat ??= new Heartbeat(this.host.options.heartbeatMs, () => this.beat());
  }

  /** Stops listening to the broker (after the last publish was handed to it). */
  detach(): void {
    this.detachBroker?.();
    this.detachGap?.();
  }

  get size(): number {
    return this.conns.size;
  }

  connections(): ConnectionInfo[] {
    return [...this.conns.values()];
  }

  get(id: string): Subscriber | undefined {
    return this.conns.get(id);
  }

  /** Bytes queued for every stream and not yet handed to the kernel. */
  bufferedBytes(): number {
    let n = 0;
    for (const c of this.conns.values()) n += c.bufferedBytes;
    return n;
  }

  addLane(lane: DeliveryLane): void {
    this.lanes.push(lane);
  }

  /** Adds a frame encoding (a transport's); returns the dialect its subscribers declare. */
  addDialect(encode: FrameEncoder): number {
    this.encoders.push(encode);
    this.frames.push(undefined);
    return this.encoders.length - 1;
  }

  /**
   * Registers an open connection of a transport that opens its own (a WebSocket after its
   * handshake): indexed under `patterns`, counted, observed. Event streams are registered by
   * {@link openStream}.
   */
  add(conn: Subscriber, patterns: readonly TopicPattern[]): void {
    this.conns.set(conn.id, conn);
    for (const p of patterns) this.index.add(conn, p);
    this.host.observers().connectionOpened(conn);
  }

  /** Indexes an open connection under one more pattern (a WebSocket `subscribe`). */
  subscribe(conn: Subscriber, pattern: TopicPattern): void {
    this.index.add(conn, pattern);
  }

  /** Takes a pattern of an open connection out of the index (a WebSocket `unsubscribe`). */
  unsubscribe(conn: Subscriber, pattern: TopicPattern): void {
    this.index.remove(conn, pattern);
  }

  /** Turns a spec into the route result that opens, registers and (maybe) replays the stream. */
  openStream(spec: StreamSpec): RouteResult {
    return {
      kind: 'stream',
      headers: spec.headers,
      open: (sink) => {
        const id = this.host.nextConnectionId();
        const conn = spec.connect(id, this, sink);
        if (this.host.isClosing) {
          conn.close('shutdown');
          return;
        }
        const hello = spec.greeting?.(conn);
        if (hello) conn.write(hello);
        if (conn.state === 'closed') return;
        this.conns.set(id, conn);
        if (spec.register) this.releases.set(id, spec.register(conn));
        else for (const p of conn.patterns) this.index.add(conn, p);
        this.host.observers().connectionOpened(conn);
        this.host.log.debug(
          {
            conn: id,
            topics: conn.topics,
            resume: spec.replay !== undefined && 'lastEventId' in spec.replay.from,
          },
          'stream opened',
        );
        if (spec.replay) {
          const { filter, from, truncation } = spec.replay;
          void replay(this.host, { conn, target: conn, filter, from, truncation, noun: 'stream' });
        }
      },
    };
  }

  /**
   * Live fan-out of a broker batch to every connection whose topics match: each event is encoded
   * at most once per dialect, for the first subscriber that takes it.
   */
  dispatch(events: readonly StoredEvent[]): void {
    for (const lane of this.lanes) lane.dispatch(events);
    if (this.conns.size === 0) return;
    const obs = this.host.observers();
    const frames = this.frames;
    for (const ev of events) {
      if (!this.index.hasAny(ev.topic)) continue;
      for (let d = 0; d < frames.length; d++) frames[d] = undefined;
      this.current = ev;
      this.reached = 0;
      this.index.forEach(ev.topic, this.visit);
      if (this.reached > 0) obs.delivered(ev, this.reached);
    }
    this.current = undefined;
    for (let d = 0; d < frames.length; d++) frames[d] = undefined;
  }

  /** Delivers the current event to one subscriber; made once, so dispatch allocates no closure. */
  private readonly visit = (c: Subscriber): void => {
    const ev = this.current as StoredEvent;
    const d = c.dialect;
    let frame = this.frames[d];
    if (frame === undefined) {
      frame = (this.encoders[d] as FrameEncoder)(ev);
      this.frames[d] = frame;
    }
    if (c.deliver(ev, frame)) this.reached++;
  };

  private beat(): void {
    if (this.conns.size === 0) return;
    const frame = heartbeatFrame();
    for (const c of this.conns.values()) c.heartbeat(frame);
  }

  /** The broker may have missed events: every resumable connection resumes from history. */
  resync(): void {
    resyncAfterGap(this.conns.values(), this.host.log);
  }

  /** Closes one connection by id, with a notice first when given; false when it is not open. */
  disconnect(id: string, reason: CloseReason, notice?: Record<string, unknown>): boolean {
    const c = this.conns.get(id);
    if (!c) return false;
    if (notice) c.notify(reason, notice);
    c.close(reason);
    return true;
  }

  /** Stops heartbeats and ends every stream so its client reconnects elsewhere. */
  close(): void {
    this.heartbeat?.stop();
    for (const c of [...this.conns.values()]) c.close('shutdown');
  }

  // ---- StreamHost -----------------------------------------------------------------------

  get slowConsumers(): SlowConsumerRule {
    return this.host.slowConsumers;
  }

  get replayLimits(): ReplayLimits {
    return this.host.replayLimits;
  }

  /** Forgets a connection that closed, whatever its transport (called once per connection). */
  connectionClosed(conn: Subscriber, reason: CloseReason): void {
    if (!this.conns.delete(conn.id)) return;
    const release = this.releases.get(conn.id);
    if (release) {
      this.releases.delete(conn.id);
      release();
    } else for (const p of conn.indexedPatterns()) this.index.remove(conn, p);
    const obs = this.host.observers();
    const ws = conn.transport === 'websocket';
    if (reason === 'slow-consumer') {
      obs.slowConsumer(conn);
      this.host.log.warn(
        {
          conn: conn.id,
          user: conn.user,
          limit: this.host.options.maxBufferBytes,
          graceMs: this.host.options.slowConsumerGraceMs,
        },
        ws
          ? 'dropped a slow websocket consumer; it will resume with its last event id'
          : 'dropped a slow consumer; it will resume with Last-Event-ID',
      );
    }
    obs.connectionClosed(conn, reason);
    const durationMs = Date.now() - conn.openedAt;
    if (ws) {
      this.host.log.debug({ conn: conn.id, reason, durationMs, events: conn.eventsSent }, 'websocket closed');
      return;
    }
    this.host.log.debug(
      { conn: conn.id, reason, durationMs, events: conn.eventsSent, bytes: conn.bytesSent },
      'stream closed',
    );
  }
}
