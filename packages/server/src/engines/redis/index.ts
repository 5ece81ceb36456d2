/**
 * `@tidings/server/redis`: run several hub nodes as one, on Redis. Requires the `ioredis` peer
 * dependency; only this entry point loads it.
 *
 * @example
 * ```ts
 * import { createHub } from '@tidings/server';
 * import { redisEngine } from '@tidings/server/redis';
 * const hub = createHub({ engine: redisEngine('redis://127.0.0.1:6379') });
 * ```
 * @packageDocumentation
 */

export type { RedisClusterBrokerOptions } from '../redis-cluster/redis-cluster-broker.js';
export { RedisClusterBroker } from '../redis-cluster/redis-cluster-broker.js';
export type { RedisClusterEngine, RedisClusterEngineOptions } from '../redis-cluster/redis-cluster-engine.js';
export { redisClusterEngine } from '../redis-cluster/redis-cluster-engine.js';
export type { RedisClusterStoreOptions } from '../redis-cluster/redis-cluster-store.js';
export { RedisClusterStore } from '../redis-cluster/redis-cluster-store.js';
export { keySlot, ShardMap } from '../redis-cluster/shard-map.js';
export type { RedisKeys } from './keys.js';
export { redisKeys } from './keys.js';
export type { RedisBrokerOptions } from './redis-broker.js';
export { RedisBroker, redisBroker } from './redis-broker.js';
export type { RedisEngine, RedisEngineOptions } from './redis-engine.js';
export { redisEngine } from './redis-engine.js';
export { RECOVERY_WINDOW_MS } from './redis-fanout-reader.js';
export type { RedisClusterTarget, RedisLinkOptions, RedisTarget } from './redis-link.js';
export { checkClusterUrls, checkRedisUrl, redactUrl } from './redis-link.js';
export type { RedisPresenceOptions } from './redis-presence.js';
export { RedisPresence } from './redis-presence.js';
export type { RedisRevocationOptions } from './redis-revocations.js';
export { RedisRevocationStore } from './redis-revocations.js';
export type { RedisStoreOptions } from './redis-store.js';
export { RedisStore, redisStore } from './redis-store.js';
