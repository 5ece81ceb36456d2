import { afterAll, describe } from 'vitest';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../../test/services.js';
import { runStoreSuite } from '../testing/store-suite.js';
import { RedisStore } from './redis-store.js';

const url = await needRedis(import.meta.url);
const prefixes: string[] = [];
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteRedisKeys(url, p);
});

describe.skipIf(!url)('RedisStore', () => {
  runStoreSuite({
    name: 'redis',
    create: (o) => {
      const keyPrefix = uniquePrefix('store');
      prefixes.push(keyPrefix);
      return new RedisStore({ redis: url as string, keyPrefix, ...o });
    },
    async reopen(store) {
      const s = store as RedisStore;
      await s.close();
      return new RedisStore({ redis: url as string, keyPrefix: s.keys.base.slice(1, -2) });
    },
  });
});
