import { comparePositions } from '@tidings/protocol';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import { GeneratedIds } from '../generated-ids.js';
import { FANOUT } from '../redis/lua-fanout.js';
import { LuaScript } from '../redis/lua-script.js';
import { RedisBroker } from '../redis/redis-broker.js';
import type { RedisLink } from '../redis/redis-link.js';
import { newEpoch } from '../retention.js';
import { ClusterFanout } from './cluster-fanout.js';
import type { ShardMap } from './shard-map.js';

/** Options of {@link RedisClusterBroker}. */
export interface RedisClusterBrokerOptions {
  /** Length of each shard's fan-out stream. @defaultValue 10000 */
  fanoutBacklog?: number | undefined;
  /** Control messages kept for nodes that briefly lose their connection. @defaultValue 1000 */
  controlBacklog?: number | undefined;
  /** Where problems are logged. @defaultValue silent */
  logger?: Logger | undefined;
  /** The id key shared by the shards (from the store); a random one without a store. */
  idKey?: (() => Promise<string>) | undefined;
  /** Called with the highest position delivered, so the store's next append lands above it. */
  onDelivered?: ((pos: string) => void) | undefined;
}

/**
 * Carries events between hub nodes on a Redis Cluster: every shard has its own fan-out stream
 * (filled by the append script in the same atomic step as the history), every node reads all of
 * them and delivers their events merged in position order (see `ClusterFanout`), so per-topic
 * order is the same on every node and live delivery never runs ahead of what a resume reads.
 * Control messages travel on one stream under the plain prefix, as with a single Redis.
 *
 * Used on its own (with a store that is not on the cluster), `publish` puts events on the fan-out
 * stream of their topic's shard itself.
 *
 * @see redisClusterEngine
 */
export class RedisClusterBroker implements Broker {
  readonly kind = 'redis-cluster';
  private readonly control: RedisBroker;
  private readonly fanout: ClusterFanout;
  private readonly fanoutScript = new LuaScript(FANOUT);
  private readonly fanoutBacklog: number;
  private readonly log: Logger;
  private listeners: BrokerListener[] = [];
  private gapListeners: Array<() => void> = [];
  private highest = '0-0';
  private closed = false;

  constructor(
    readonly map: ShardMap,
    readonly link: RedisLink,
    options: RedisClusterBrokerOptions = {},
    private readonly alreadyFannedOut?: WeakSet<StoredEvent>,
  ) {
    const createdAt = performance.now();
    this.log = options.logger ?? silentLogger;
    this.fanoutBacklog = options.fanoutBacklog ?? 10_000;
    const randomKey = GeneratedIds.newKey();
    this.control = new RedisBroker(
      {
        redis: 'redis://unused',
        keyPrefix: map.prefix,
        fanoutBacklog: 1,
        controlBacklog: options.controlBacklog,
        logger: options.logger,
      },
      link,
    );
    this.fanout = new ClusterFanout(
      link,
      map,
      this.log,
      {
        deliver: (events) => {
          if (events.length === 0) return;
          const last = (events[events.length - 1] as StoredEvent).pos;
          if (comparePositions(last, this.highest) > 0) this.highest = last;
          options.onDelivered?.(last);
          for (const l of this.listeners) this.call(() => l(events));
        },
        gap: () => {
          for (const l of this.gapListeners) this.call(l);
        },
      },
      createdAt,
      options.idKey ?? (() => Promise.resolve(randomKey)),
    );
  }

  /** Resolves once this node reads every shard's fan-out stream and the control stream. */
  async ready(): Promise<void> {
    await Promise.all([this.fanout.ready(), this.control.ready()]);
  }

  /** Whether every read loop is connected. */
  get reading(): boolean {
    return this.fanout.reading && this.control.reading;
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    const todo = this.alreadyFannedOut ? events.filter((e) => !this.alreadyFannedOut?.has(e)) : events;
    if (todo.length === 0 || this.closed) return;
    this.link.assertUp('the events cannot reach the other nodes');
    // Runs of one shard, in order, each above the last: the merged order is publish order.
    let start = 0;
    while (start < todo.length) {
      const shard = this.map.shardOf((todo[start] as StoredEvent).topic);
      let end = start + 1;
      while (end < todo.length && this.map.shardOf((todo[end] as StoredEvent).topic) === shard) end++;
      const keys = this.map.shards[shard] as (typeof this.map.shards)[number];
      const args: (string | number)[] = [
        keys.base,
        newEpoch(),
        this.fanoutBacklog,
        `${this.map.count} ${shard} ${this.highest}`,
      ];
      for (const e of todo.slice(start, end)) {
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
      try {
        const last = (await this.fanoutScript.run(this.link.client, [keys.epoch], args)) as string;
        if (comparePositions(last, this.highest) > 0) this.highest = last;
      } catch (err) {
        throw this.link.failure(err, 'the events cannot reach the other nodes');
      }
      start = end;
    }
  }

  subscribe(listener: BrokerListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  sendControl(message: ControlMessage): Promise<void> {
    return this.control.sendControl(message);
  }

  onControl(listener: ControlListener): () => void {
    return this.control.onControl(listener);
  }

  /** Adds a listener called when this node may have missed events (a shard lost writes or its data, or this node fell behind a fan-out backlog). */
  onGap(listener: () => void): () => void {
    this.gapListeners = [...this.gapListeners, listener];
    const offControl = this.control.onGap(listener);
    return () => {
      offControl();
      this.gapListeners = this.gapListeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners = [];
    this.gapListeners = [];
    await this.fanout.close();
    await this.control.close();
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'a broker listener threw');
    }
  }
}
