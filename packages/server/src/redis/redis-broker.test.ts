import { afterAll, describe } from 'vitest';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../../test/services.js';
import { runBrokerSuite } from '../testing/broker-suite.js';
import { RedisBroker } from './redis-broker.js';

const url = await needRedis(import.meta.url);
const prefixes: string[] = [];
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteRedisKeys(url, p);
});

describe.skipIf(!url)('RedisBroker', () => {
  runBrokerSuite({
    name: 'redis',
    maxNodes: 3,
    async create(n) {
      const keyPrefix = uniquePrefix('broker');
      prefixes.push(keyPrefix);
      const nodes = Array.from({ length: n }, () => new RedisBroker({ redis: url as string, keyPrefix }));
      await Promise.all(nodes.map((b) => b.ready()));
      return nodes;
    },
  });
});
