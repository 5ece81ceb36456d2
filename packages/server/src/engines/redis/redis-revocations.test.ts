import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  deleteRedisKeys,
  needRedis,
  needRedisServer,
  OwnRedis,
  uniquePrefix,
} from '../../../test/services.js';
import { isHubError } from '../../core/errors.js';
import { runRevocationSuite } from '../../testing/revocation-suite.js';
import { RedisRevocationStore } from './redis-revocations.js';

const url = await needRedis(import.meta.url);
const hasServer = needRedisServer(import.meta.url);
const prefixes: string[] = [];
const open: RedisRevocationStore[] = [];
const servers: OwnRedis[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  for (const r of servers) await r.destroy();
  if (url) for (const p of prefixes) await deleteRedisKeys(url, p);
});

const prefixOf = new WeakMap<RedisRevocationStore, string>();
function store(redis: string, keyPrefix: string): RedisRevocationStore {
  const s = new RedisRevocationStore({ redis, keyPrefix, revocationSyncMs: 60_000 });
  prefixOf.set(s, keyPrefix);
  open.push(s);
  return s;
}
function fresh(): string {
  const p = uniquePrefix('revoke');
  prefixes.push(p);
  return p;
}

describe.skipIf(!url)('RedisRevocationStore', () => {
  runRevocationSuite({
    name: 'redis',
    clockIsInjected: false,
    create: () => store(url as string, fresh()),
    async reopen(s) {
      // Another node over the same keys: it has no copy of its own, so it reads Redis.
      return store(url as string, prefixOf.get(s as RedisRevocationStore) as string);
    },
  });

  it('writes back the revocations Redis lost from each node copy, so a node without one refuses them again', async () => {
    const prefix = fresh();
    const a = store(url as string, prefix);
    const b = store(url as string, prefix);
    const now = Date.now();
    await a.revoke('jti:one', now + 60_000);
    await b.revokeIssuedUpTo('user:["u"]', now, now + 60_000);
    // Node b learns a's revocation at its next comparison (and a learns b's cut-off).
    await b.sync();
    await a.sync();
    expect(await b.mirror.isRevoked('jti:one')).toBe(true);
    expect(await a.mirror.issuedUpTo('user:["u"]')).toBe(now);

    await deleteRedisKeys(url as string, prefix); // what a Redis restart without persistence does
    const newcomer = store(url as string, prefix);
    expect(await newcomer.isRevoked('jti:one')).toBe(false);
    // Both nodes answer from their copy right away, and put it back into Redis.
    expect(await a.isRevoked('jti:one')).toBe(true);
    expect(await b.issuedUpTo('user:["u"]')).toBe(now);
    expect(await a.sync()).toBe(2);
    expect(await b.sync()).toBe(0); // already back
    expect(await newcomer.isRevoked('jti:one')).toBe(true);
    expect(await newcomer.issuedUpTo('user:["u"]')).toBe(now);
  });

  it('indexes a revocation written before the index existed (an upgrade) without calling it lost', async () => {
    const prefix = fresh();
    const a = store(url as string, prefix);
    const raw = new Redis(url as string);
    try {
      await raw.set(a.keys.revoked('jti:old'), '1', 'PX', 60_000);
      expect(await a.isRevoked('jti:old')).toBe(true); // learned into the copy
      expect(await a.sync()).toBe(0);
      expect(await raw.zscore(a.keys.revocationIndex, 'r:jti:old')).not.toBeNull();
    } finally {
      raw.disconnect();
    }
  });

  it('does not write back entries that expired meanwhile', async () => {
    const prefix = fresh();
    const a = store(url as string, prefix);
    await a.revoke('jti:short', Date.now() + 150);
    await a.revoke('jti:past', Date.now() - 1);
    await new Promise((r) => setTimeout(r, 200));
    await deleteRedisKeys(url as string, prefix);
    expect(await a.sync()).toBe(0);
    expect(await a.isRevoked('jti:short')).toBe(false);
    expect(await a.isRevoked('jti:past')).toBe(false);
  });
});

describe.skipIf(!hasServer)('RedisRevocationStore with Redis restarting', () => {
  it('refuses revoked tokens from its copy while Redis is down, and restores them once Redis is back empty', async () => {
    const redis = await OwnRedis.start();
    servers.push(redis);
    const prefix = uniquePrefix('revoke');
    const a = new RedisRevocationStore({ redis: redis.url, keyPrefix: prefix, revocationSyncMs: 100 });
    open.push(a);
    await a.link.waitReady(5000);
    const now = Date.now();
    await a.revoke('jti:gone', now + 60_000);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 100));
    // Known from the copy: refused without Redis. Unknown: Redis must be asked, so 503.
    expect(await a.isRevoked('jti:gone')).toBe(true);
    const err = await a.isRevoked('jti:other').catch((e: unknown) => e);
    expect(isHubError(err) && err.status).toBe(503);
    expect((err as Error).message).toMatch(
      /unreachable.*so revocations cannot be checked\. Retry in a moment\.$/,
    );
    // A logout while Redis is down is refused with 503, but this node keeps it and writes it later.
    const late = await a.revokeIssuedUpTo('user:["late"]', now, now + 60_000).catch((e: unknown) => e);
    expect(isHubError(late) && late.status).toBe(503);

    await redis.start();
    await a.link.waitReady(10_000);
    const other = new RedisRevocationStore({ redis: redis.url, keyPrefix: prefix, revocationSyncMs: 60_000 });
    open.push(other);
    const end = Date.now() + 10_000;
    while (!((await other.isRevoked('jti:gone')) && (await other.issuedUpTo('user:["late"]')) === now)) {
      if (Date.now() > end) throw new Error('the revocations were not written back after Redis came back');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
