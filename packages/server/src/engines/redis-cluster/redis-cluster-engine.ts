import type { StoredEvent } from '../../core/stored-event.js';
import type { Engine } from '../engine.js';
import type { RetentionOptions } from '../history-store.js';
import {
  checkRedisMode,
  RedisLink,
  type RedisLinkOptions,
  WrongRedisModeError,
} from '../redis/redis-link.js';
import { RedisPresence } from '../redis/redis-presence.js';
import { RedisRevocationStore } from '../redis/redis-revocations.js';
import { RedisClusterBroker } from './redis-cluster-broker.js';
import { RedisClusterStore } from './redis-cluster-store.js';
import { ShardMap } from './shard-map.js';

/** Options of {@link redisClusterEngine}. */
export interface RedisClusterEngineOptions extends RedisLinkOptions {
  /** Namespace of every key; all nodes of one hub use the same. @defaultValue "tidings" */
  keyPrefix?: string | undefined;
  /**
   * Shard groups the topics are spread over, each in its own hash slot with its own fan-out
   * stream. Publish capacity grows with the primaries up to this many; each node holds one
   * blocking connection per shard. Part of the data layout: every node uses the same, and
   * changing it needs a new `keyPrefix`.
   * @defaultValue 12
   */
  shards?: number | undefined;
  /**
   * Acknowledge a publish only after this many replicas of its shard's primary hold it (`WAIT`).
   * 0: acknowledged once the primary has it; a failover can then lose the writes of the last
   * moments before it (asynchronous replication). 1 or more: an acknowledged event survives the
   * primary's crash as long as a replica that confirmed it is promoted (Redis promotes the most
   * up-to-date one). A publish whose replicas do not confirm in time fails with 503 (it may
   * still be stored; a retry with the same `id` is safe).
   * @defaultValue 0
   */
  replicas?: number | undefined;
  /** How long a publish waits for {@link replicas}. @defaultValue 1000 */
  replicaTimeoutMs?: number | undefined;
  /** Per-topic history retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /** Length of each shard's fan-out stream. @defaultValue 10000 */
  fanoutBacklog?: number | undefined;
  /** How long a connection stays in presence counts without its node announcing it again. @defaultValue 30000 */
  presenceTtlMs?: number | undefined;
  /** How often each node compares its copy of the revocations with Redis. @defaultValue 2000 */
  revocationSyncMs?: number | undefined;
  /** Clock in epoch ms for age retention, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/** The engine {@link redisClusterEngine} returns. */
export interface RedisClusterEngine extends Engine {
  readonly store: RedisClusterStore;
  readonly broker: RedisClusterBroker;
  readonly revocations: RedisRevocationStore;
  readonly presence: RedisPresence;
  /** How keys are spread over the cluster's slots. */
  readonly map: ShardMap;
  /**
   * Resolves once connected and reading every shard, or rejects after `timeoutMs` saying why (a
   * `WrongRedisModeError` when the seed is a single Redis, not a cluster node).
   * @defaultValue timeoutMs 5000
   */
  ready(timeoutMs?: number): Promise<void>;
  health(): Promise<{ status: 'ok' | 'degraded'; detail?: string }>;
}

/**
 * Runs a hub on a Redis Cluster, so that publish capacity grows with its primaries: publish to
 * any node, subscribe on any node, resume on any node with `Last-Event-ID`.
 *
 * - **Shards** ({@link ShardMap}): topics are spread over `shards` shard groups, each under its
 *   own hash tag in its own slot, holding its topics' history and its own fan-out stream.
 * - **History** ({@link RedisClusterStore}): positions of all shards compare as one order;
 *   multi-shard reads stop at a common watermark so a resume is exact across shards.
 * - **Fan-out** ({@link RedisClusterBroker}): every node reads every shard's stream and delivers
 *   in position order.
 * - **Revocations, presence, control messages** under the plain prefix, shared by every node.
 * - **Failover**: see {@link RedisClusterEngineOptions.replicas}.
 *
 * @example
 * ```ts
 * import { createHub } from '@tidings/server';
 * import { redisClusterEngine } from '@tidings/server/redis';
 * const hub = createHub({
 *   engine: redisClusterEngine(['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'], { replicas: 1 }),
 * });
 * ```
 * @param urls seed nodes (`redis://` or `rediss://`); the rest of the cluster is discovered.
 * @throws {RangeError} for a malformed URL or option.
 */
export function redisClusterEngine(
  urls: readonly string[],
  options: RedisClusterEngineOptions = {},
): RedisClusterEngine {
  const keyPrefix = options.keyPrefix ?? 'tidings';
  const map = new ShardMap(keyPrefix, options.shards ?? 12);
  for (const [name, v, min] of [
    ['fanoutBacklog', options.fanoutBacklog, 1],
    ['presenceTtlMs', options.presenceTtlMs, 300],
    ['revocationSyncMs', options.revocationSyncMs, 50],
    ['replicas', options.replicas, 0],
    ['replicaTimeoutMs', options.replicaTimeoutMs, 1],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) {
      throw new RangeError(
        `Redis Cluster engine option ${name} must be a whole number of at least ${min}, not ${v}.`,
      );
    }
  }
  const link = new RedisLink({ clusterUrls: urls }, options, 'tidings');
  const fannedOut = new WeakSet<StoredEvent>();
  const store = new RedisClusterStore(map, link, options, fannedOut);
  const broker = new RedisClusterBroker(
    map,
    link,
    {
      fanoutBacklog: options.fanoutBacklog,
      logger: options.logger,
      idKey: () => store.idKey(),
      onDelivered: (pos) => store.saw(pos),
    },
    fannedOut,
  );
  const shared = { ...options, redis: 'redis://unused', keyPrefix };
  const revocations = new RedisRevocationStore(shared, link);
  const presence = new RedisPresence({ ...shared, ttlMs: options.presenceTtlMs }, link);
  let closed: Promise<void> | undefined;
  return {
    store,
    broker,
    revocations,
    presence,
    map,
    async ready(timeoutMs = 5000) {
      await link.waitReady(timeoutMs).catch(async (e: Error) => {
        // A single Redis never gets the cluster client ready: say so rather than time out.
        const { Redis } = await import('ioredis');
        const probe = new Redis(urls[0] as string, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          connectTimeout: 1000,
        });
        try {
          await probe.connect();
          await checkRedisMode(probe, true, link.where);
        } catch (m) {
          if (m instanceof WrongRedisModeError) throw m;
        } finally {
          probe.disconnect();
        }
        throw e;
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        store.idKey().then(() => broker.ready()),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `Cannot read events from the Redis Cluster at ${link.where} after ${timeoutMs} ms.`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async health() {
      if (!link.ready) return { status: 'degraded', detail: link.describeDown() };
      if (!broker.reading) {
        return {
          status: 'degraded',
          detail: `This node is reconnecting to a shard of the Redis Cluster at ${link.where}; live events from other nodes are delayed.`,
        };
      }
      return { status: 'ok' };
    },
    close() {
      closed ??= (async () => {
        await broker.close();
        await store.close();
        await presence.close();
        await revocations.close();
        await link.close();
      })();
      return closed;
    },
  };
}
