import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../../../test/services.js';
import { createHub } from '../../hub.js';
import { runPresenceSuite } from '../../testing/presence-suite.js';
import { runRevocationSuite } from '../../testing/revocation-suite.js';
import { redisEngine } from './redis-engine.js';
import { RedisPresence } from './redis-presence.js';
import { RedisRevocationStore } from './redis-revocations.js';

const url = await needRedis(import.meta.url);
const prefixes: string[] = [];
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteRedisKeys(url, p);
});
const prefix = () => {
  const p = uniquePrefix('engine');
  prefixes.push(p);
  return p;
};

describe.skipIf(!url)('RedisRevocationStore', () => {
  runRevocationSuite({
    name: 'redis',
    create: () => new RedisRevocationStore({ redis: url as string, keyPrefix: prefix() }),
    async reopen(store) {
      const s = store as RedisRevocationStore;
      await s.close();
      return new RedisRevocationStore({ redis: url as string, keyPrefix: s.keys.base.slice(1, -2) });
    },
    clockIsInjected: false,
  });
});

describe.skipIf(!url)('RedisPresence', () => {
  const prefixOf = new Map<number, string>();
  runPresenceSuite({
    name: 'redis',
    create(shared) {
      let p = prefixOf.get(shared);
      if (!p) {
        p = prefix();
        prefixOf.set(shared, p);
      }
      return new RedisPresence({ redis: url as string, keyPrefix: p });
    },
  });
});

describe.skipIf(!url)('redisEngine', () => {
  it('copies the settings of a client it is given, and leaves that client alone', async () => {
    const mine = new Redis(url as string);
    const engine = redisEngine(mine, { keyPrefix: prefix() });
    const hub = createHub({ engine });
    await engine.ready();
    const got: string[] = [];
    engine.broker.subscribe((evs) => got.push(...evs.map((e) => e.id)));
    const r = await hub.publish({ topic: 't', type: 'x', data: 1 });
    while (got.length === 0) await new Promise((res) => setTimeout(res, 5));
    expect(got).toEqual([r.id]);
    await hub.close();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
    mine.disconnect();
  });

  it('keeps revocations until the moment given, shared by every node', async () => {
    const keyPrefix = prefix();
    const [a, b] = [redisEngine(url as string, { keyPrefix }), redisEngine(url as string, { keyPrefix })];
    await a.revocations.revoke('jti:old', Date.now() - 1000); // already expired: nothing to keep
    await a.revocations.revoke('jti:short', Date.now() + 300);
    await a.revocations.revoke('jti:long', Date.now() + 60_000);
    await b.revocations.revoke('jti:long', Date.now() + 1); // an earlier time never shortens it
    expect(await b.revocations.isRevoked('jti:old')).toBe(false);
    expect(await b.revocations.isRevoked('jti:long')).toBe(true);
    expect(await b.revocations.isRevoked('jti:never')).toBe(false);
    // Redis expires the key when the token would have expired anyway.
    const end = Date.now() + 5000;
    while ((await b.revocations.isRevoked('jti:short')) && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(await b.revocations.isRevoked('jti:short')).toBe(false);
    await a.close();
    await b.close();
  });

  it('refuses malformed options before opening any connection', () => {
    expect(() => redisEngine('http://127.0.0.1:6379')).toThrow(/must start with redis:\/\/ or rediss:\/\//);
    expect(() => redisEngine(url as string, { keyPrefix: 'a{b}' })).toThrow(/without braces/);
    expect(() => redisEngine(url as string, { presenceTtlMs: 10 })).toThrow(/presenceTtlMs must be/);
    expect(() => redisEngine(url as string, { fanoutBacklog: 0 })).toThrow(/fanoutBacklog must be/);
  });
});
