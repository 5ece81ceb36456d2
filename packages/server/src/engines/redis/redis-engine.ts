import { type Logger, silentLogger } from '../../core/logger.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Engine } from '../engine.js';
import type { RetentionOptions } from '../history-store.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { RedisBroker } from './redis-broker.js';
import { checkRedisMode, RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';
import { RedisPresence } from './redis-presence.js';
import { RedisRevocationStore } from './redis-revocations.js';
import { RedisStore } from './redis-store.js';

/** Options of {@link redisEngine}. */
export interface RedisEngineOptions extends RedisLinkOptions {
  /**
   * Namespace of every key. All nodes of one hub use the same prefix; different hubs (or test
   * runs) sharing a Redis use different ones.
   * @defaultValue "tidings"
   */
  keyPrefix?: string | undefined;
  /** Per-topic history retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /**
   * Acknowledge a publish only after this many replicas of the Redis primary hold it (`WAIT`),
   * so that it survives a failover (see `RedisStoreOptions.replicas`). 0 acknowledges once the
   * primary has it.
   * @defaultValue 0
   */
  replicas?: number | undefined;
  /** How long a publish waits for {@link replicas}. @defaultValue 1000 */
  replicaTimeoutMs?: number | undefined;
  /**
   * Length of the fan-out stream all nodes read live events from. A node cut off from Redis for
   * longer than this many events makes its streams resume from history (nothing is lost; clients
   * reconnect).
   * @defaultValue 10000
   */
  fanoutBacklog?: number | undefined;
  /**
   * How long a connection stays in presence counts without its node announcing it again: the
   * longest the connections of a node that died are still counted.
   * @defaultValue 30000
   */
  presenceTtlMs?: number | undefined;
  /**
   * How often each node compares its own copy of the revocations with Redis, learning those of
   * other nodes and writing back those Redis lost (see {@link RedisRevocationStore}).
   * @defaultValue 2000
   */
  revocationSyncMs?: number | undefined;
  /** Clock in epoch ms for age retention, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/** The engine {@link redisEngine} returns: the {@link Engine} parts plus Redis-specific handles. */
export interface RedisEngine extends Engine {
  readonly store: RedisStore;
  readonly broker: RedisBroker;
  readonly revocations: RedisRevocationStore;
  readonly presence: RedisPresence;
  readonly keys: RedisKeys;
  /**
   * Resolves once connected and reading live events, or rejects after `timeoutMs` saying why. The
   * hub works without waiting (publishes wait for the first connection, then fail fast while
   * Redis is down); `tidings serve` waits so that a wrong URL shows up at start.
   * @defaultValue timeoutMs 5000
   */
  ready(timeoutMs?: number): Promise<void>;
  health(): Promise<{ status: 'ok' | 'degraded'; detail?: string }>;
}

/**
 * Runs a hub on Redis, so that several hub processes behave as one: publish to any node,
 * subscribe on any node, resume on any node with `Last-Event-ID`.
 *
 * - **History** ({@link RedisStore}): one stream per topic, cluster-wide positions from Redis'
 *   clock, retention per topic by count and age, supplied ids idempotent.
 * - **Fan-out** ({@link RedisBroker}): the append script puts each event on a fan-out stream
 *   in the same atomic step, and every node reads it in order, so per-topic order is the same
 *   everywhere and an event is durable before any node delivers it.
 * - **Revocations** and **presence** shared by every node; control messages (forced disconnects)
 *   reach every node.
 * - **Redis down**: publishes fail at once with 503, `/healthz` says `degraded`, open streams
 *   stay open with heartbeats; once Redis is back, delivery resumes where it stopped. If Redis
 *   lost its data, streams resume and get `reset` followed by every event appended since Redis
 *   came back, and each node writes back the revocations still in force from its own copy.
 *
 * Needs Redis 6.2 or later with `maxmemory-policy noeviction` (the default): an evicted key
 * would be lost history. Events are as durable as Redis is configured to be.
 *
 * @example
 * ```ts
 * import { createHub } from '@tidings/server';
 * import { redisEngine } from '@tidings/server/redis';
 * const hub = createHub({ engine: redisEngine('redis://127.0.0.1:6379') });
 * ```
 * @param redis a `redis://` or `rediss://` URL, or an ioredis client whose connection settings
 *   (host, TLS, Sentinel…) the engine copies with `duplicate()`: it opens its own connections
 *   (commands, blocking reads) with the settings it needs, and never uses or closes yours.
 * @throws {RangeError} for a malformed URL or option.
 */
export function redisEngine(redis: RedisTarget, options: RedisEngineOptions = {}): RedisEngine {
  const log: Logger = options.logger ?? silentLogger;
  const keyPrefix = options.keyPrefix ?? 'tidings';
  const keys = redisKeys(keyPrefix);
  // Check the numbers before opening any connection, so a bad option leaks nothing.
  for (const [name, v, min] of [
    ['fanoutBacklog', options.fanoutBacklog, 1],
    ['presenceTtlMs', options.presenceTtlMs, 300],
    ['revocationSyncMs', options.revocationSyncMs, 50],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) {
      throw new RangeError(
        `Redis engine option ${name} must be a whole number of at least ${min}, not ${v}.`,
      );
    }
  }
  const link = new RedisLink(redis, options, 'tidings');
  const fannedOut = new WeakSet<StoredEvent>();
  const shared = { ...options, redis, keyPrefix };
  const store = new RedisStore(shared, link, fannedOut);
  const broker = new RedisBroker(shared, link, fannedOut);
  const revocations = new RedisRevocationStore(shared, link);
  const presence = new RedisPresence({ ...shared, ttlMs: options.presenceTtlMs }, link);
  let closed: Promise<void> | undefined;

  link.client.once('ready', () => {
    // An evicting Redis silently drops history and ids; say so once. CONFIG may be disabled on
    // managed Redis, in which case there is nothing to check.
    link.client
      .config('GET', 'maxmemory-policy')
      .then((r) => {
        const policy = (r as string[])[1];
        if (policy && policy !== 'noeviction') {
          log.warn(
            { redis: link.where, policy },
            `Redis evicts keys under memory pressure (maxmemory-policy ${policy}); history can vanish and clients then get reset. Set maxmemory-policy noeviction.`,
          );
        }
      })
      .catch(() => {});
  });

  return {
    store,
    broker,
    revocations,
    presence,
    keys,
    async ready(timeoutMs = 5000) {
      await link.waitReady(timeoutMs);
      await checkRedisMode(link.client, false, link.where);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        broker.ready(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Cannot read events from Redis at ${link.where} after ${timeoutMs} ms.`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async health() {
      if (!link.ready) {
        return { status: 'degraded', detail: link.describeDown() };
      }
      if (!broker.reading) {
        return {
          status: 'degraded',
          detail: `This node is reconnecting to the Redis fan-out stream at ${link.where}; live events from other nodes are delayed.`,
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
