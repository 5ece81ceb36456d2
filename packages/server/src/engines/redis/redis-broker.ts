import type { Redis } from 'ioredis';
import { HubError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import { newEpoch } from '../retention.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { CONTROL, FANOUT } from './lua-fanout.js';
import { LuaScript } from './lua-script.js';
import { FanoutReader } from './redis-fanout-reader.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions extends RedisLinkOptions {
  /** Redis URL, or an ioredis client to copy the connection settings of (see {@link RedisTarget}). */
  redis: RedisTarget;
  /** Namespace of every key; all nodes of one hub use the same. @defaultValue "tidings" */
  keyPrefix?: string | undefined;
  /**
   * Length of the fan-out stream. A node that cannot read it for longer than this many events
   * reports a gap, and the hub makes its streams resume from history.
   * @defaultValue 10000
   */
  fanoutBacklog?: number | undefined;
  /**
   * Control messages kept for nodes that briefly lose their connection.
   * @defaultValue 1000
   */
  controlBacklog?: number | undefined;
}

/**
 * Carries events and control messages between hub nodes through two Redis streams.
 *
 * Every node runs one blocking `XREAD` loop on its own connection over the `fanout` stream (every
 * new event, in position order: the history store's append script adds it in the same atomic
 * step, so per-topic order is the same on every node) and the `control` stream. The loop
 * remembers the last entry it read, so after a dropped connection it continues exactly where it
 * stopped and a short outage costs no event. Each fan-out entry names the position before it;
 * when the stream was trimmed past what this node read (it was cut off for longer than
 * `fanoutBacklog` events), or Redis lost its data (the epoch changed), the broker calls its gap
 * listeners: the hub then makes every stream resume from history, so nothing is missed silently.
 *
 * Used on its own (with a store that is not Redis), `publish` adds the events to the fan-out
 * stream itself.
 *
 * @see redisEngine, which pairs it with {@link RedisStore}.
 */
export class RedisBroker implements Broker {
  readonly kind = 'redis';
  readonly keys: RedisKeys;
  readonly link: RedisLink;
  private readonly log: Logger;
  private readonly fanoutBacklog: number;
  private readonly controlBacklog: number;
  private readonly fanoutScript = new LuaScript(FANOUT);
  private readonly controlScript = new LuaScript(CONTROL);
  private readonly ownsLink: boolean;
  private listeners: BrokerListener[] = [];
  private controlListeners: ControlListener[] = [];
  private gapListeners: Array<() => void> = [];
  private closed = false;
  private readonly fanout: FanoutReader;

  /**
   * @param alreadyFannedOut events the history store put on the fan-out stream itself (the
   *   engine passes the set its store fills); `publish` skips them.
   */
  constructor(
    options: RedisBrokerOptions,
    link?: RedisLink,
    private readonly alreadyFannedOut?: WeakSet<StoredEvent>,
  ) {
    const createdAt = performance.now();
    this.keys = redisKeys(options.keyPrefix ?? 'tidings');
    this.log = options.logger ?? silentLogger;
    this.ownsLink = !link;
    this.link = link ?? new RedisLink(options.redis, options, 'tidings-broker');
    this.fanoutBacklog = options.fanoutBacklog ?? 10_000;
    this.controlBacklog = options.controlBacklog ?? 1000;
    this.fanout = new FanoutReader(
      this.link,
      this.keys,
      this.fanoutBacklog,
      this.log,
      {
        deliver: (events) => this.deliver(events),
        control: (message) => {
          for (const l of this.controlListeners) this.call(() => l(message));
        },
        gap: () => this.gap(),
      },
      createdAt,
    );
  }

  /** Resolves once this node reads the fan-out stream (events published from now on reach it). */
  ready(): Promise<void> {
    return this.fanout.ready();
  }

  /** Whether the read loop is connected. */
  get reading(): boolean {
    return this.fanout.reading;
  }

  /** The connection that blocks in XREAD. */
  get reader(): Redis {
    return this.fanout.connection;
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    const todo = this.alreadyFannedOut ? events.filter((e) => !this.alreadyFannedOut?.has(e)) : events;
    if (todo.length === 0 || this.closed) return;
    const args: (string | number)[] = [this.keys.base, newEpoch(), this.fanoutBacklog, ''];
    for (const e of todo) {
      args.push(
        e.pos,
        e.id,
        e.topic,
        e.type,
        e.ts,
        e.dataJson,
        e.meta === undefined ? '' : JSON.stringify(e.meta),
      );
    }
    this.link.assertUp('the events cannot reach the other nodes');
    try {
      await this.fanoutScript.run(this.link.client, [this.keys.epoch], args);
    } catch (err) {
      throw this.link.failure(err, 'the events cannot reach the other nodes');
    }
  }

  subscribe(listener: BrokerListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  async sendControl(message: ControlMessage): Promise<void> {
    if (this.closed) throw new HubError(503, 'unavailable', 'The broker is closed.');
    this.link.assertUp('the message cannot reach the other nodes');
    try {
      await this.controlScript.run(
        this.link.client,
        [this.keys.control],
        [this.keys.base, this.controlBacklog, JSON.stringify(message)],
      );
    } catch (err) {
      throw this.link.failure(err, 'the message cannot reach the other nodes');
    }
  }

  onControl(listener: ControlListener): () => void {
    this.controlListeners = [...this.controlListeners, listener];
    return () => {
      this.controlListeners = this.controlListeners.filter((l) => l !== listener);
    };
  }

  /** Adds a listener called when this node may have missed events (see the class description). */
  onGap(listener: () => void): () => void {
    this.gapListeners = [...this.gapListeners, listener];
    return () => {
      this.gapListeners = this.gapListeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners = [];
    this.controlListeners = [];
    this.gapListeners = [];
    await this.fanout.close();
    if (this.ownsLink) await this.link.close();
  }

  private deliver(events: StoredEvent[]): void {
    if (events.length === 0) return;
    for (const l of this.listeners) this.call(() => l(events));
  }

  private gap(): void {
    for (const l of this.gapListeners) this.call(l);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'a broker listener threw');
    }
  }
}

/**
 * Creates a Redis broker on its own connections.
 * @see RedisBroker
 */
export function redisBroker(options: RedisBrokerOptions): RedisBroker {
  return new RedisBroker(options);
}
