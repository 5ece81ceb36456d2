import { afterAll, describe, expect, it } from 'vitest';
import { RedisLink } from '../src/engines/redis/redis-link.js';
import { RedisPresence } from '../src/engines/redis/redis-presence.js';
import { RedisRevocationStore } from '../src/engines/redis/redis-revocations.js';
import { RedisClusterBroker } from '../src/engines/redis-cluster/redis-cluster-broker.js';
import { RedisClusterStore } from '../src/engines/redis-cluster/redis-cluster-store.js';
import { keySlot, ShardMap } from '../src/engines/redis-cluster/shard-map.js';
import { runBrokerSuite } from '../src/testing/broker-suite.js';
import { runPresenceSuite } from '../src/testing/presence-suite.js';
import { runRevocationSuite } from '../src/testing/revocation-suite.js';
import { runStoreSuite } from '../src/testing/store-suite.js';
import { uniquePrefix } from './services.js';
import { LocalRedisCluster, needRedisCluster } from './support/redis-cluster.js';

const cluster = needRedisCluster(import.meta.url) ? await LocalRedisCluster.start() : undefined;
const urls = cluster?.urls ?? [];
const links: RedisLink[] = [];
afterAll(async () => {
  for (const l of links.splice(0)) await l.close();
  await cluster?.destroy();
});
const link = () => {
  const l = new RedisLink({ clusterUrls: urls }, {}, 'tidings-test');
  links.push(l);
  return l;
};

describe('ShardMap', () => {
  it('computes the hash slots Redis Cluster does, and spreads shards evenly over the slot range', () => {
    // Known values of CLUSTER KEYSLOT.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('123456789')).toBe(12739);
    const m = new ShardMap('tidings', 12);
    m.slots.forEach((slot, i) => {
      expect(slot).toBeGreaterThanOrEqual(Math.floor((i * 16384) / 12));
      expect(slot).toBeLessThan(Math.floor(((i + 1) * 16384) / 12));
      expect(keySlot((m.shards[i] as { base: string }).base.slice(1, -2))).toBe(slot);
    });
    expect(() => new ShardMap('tidings', 0)).toThrow(/whole number from 1 to 1024/);
  });
});

describe.skipIf(!cluster)('Redis Cluster engine: conformance', () => {
  runStoreSuite({
    name: 'redis-cluster',
    create: (o) => new RedisClusterStore(new ShardMap(uniquePrefix('cstore'), 6), link(), o),
    async reopen(store) {
      const s = store as RedisClusterStore;
      await s.close();
      return new RedisClusterStore(s.map, link());
    },
  });

  runBrokerSuite({
    name: 'redis-cluster',
    maxNodes: 3,
    async create(n) {
      const map = new ShardMap(uniquePrefix('cbroker'), 6);
      const nodes = Array.from({ length: n }, () => new RedisClusterBroker(map, link()));
      await Promise.all(nodes.map((b) => b.ready()));
      return nodes;
    },
  });

  runRevocationSuite({
    name: 'redis-cluster',
    clockIsInjected: false,
    create: () =>
      new RedisRevocationStore({ redis: 'redis://unused', keyPrefix: uniquePrefix('crev') }, link()),
    async reopen(s) {
      return new RedisRevocationStore(
        { redis: 'redis://unused', keyPrefix: (s as RedisRevocationStore).keys.base.slice(1, -2) },
        link(),
      );
    },
  });

  const prefixOf = new Map<number, string>();
  runPresenceSuite({
    name: 'redis-cluster',
    create(shared) {
      let p = prefixOf.get(shared);
      if (!p) {
        p = uniquePrefix('cpres');
        prefixOf.set(shared, p);
      }
      return new RedisPresence({ redis: 'redis://unused', keyPrefix: p }, link());
    },
  });
});
