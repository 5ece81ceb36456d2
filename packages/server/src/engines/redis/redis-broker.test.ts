import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, freePort, needRedis, TcpProxy, uniquePrefix } from '../../../test/services.js';
import { runBrokerSuite } from '../../testing/broker-suite.js';
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

describe.skipIf(!url)('RedisBroker on its own', () => {
  it('receives events published right after it was created, before its first read', async () => {
    const keyPrefix = uniquePrefix('broker');
    prefixes.push(keyPrefix);
    const sender = new RedisBroker({ redis: url as string, keyPrefix });
    await sender.ready();
    const fresh = new RedisBroker({ redis: url as string, keyPrefix });
    const got: string[] = [];
    fresh.subscribe((evs) => got.push(...evs.map((e) => e.id)));
    // Published before `fresh` has even connected: it must still see it.
    await sender.publish([{ id: 'early', pos: '1', topic: 't', type: 't', ts: Date.now(), dataJson: '1' }]);
    await fresh.ready();
    await sender.publish([{ id: 'later', pos: '2', topic: 't', type: 't', ts: Date.now(), dataJson: '2' }]);
    const end = Date.now() + 5000;
    while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['early', 'later']);
    await sender.close();
    await fresh.close();
  });

  it('rejects control messages with 503 when Redis is unreachable', async () => {
    const port = await freePort();
    const b = new RedisBroker({ redis: `redis://127.0.0.1:${port}`, keyPrefix: uniquePrefix('broker') });
    const err = await b.sendControl({ kind: 'disconnect' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'unavailable' });
    expect((err as Error).message).toMatch(/is unreachable .*so the message cannot reach the other nodes\./);
    await b.close();
  });
});

describe.skipIf(!url)('RedisBroker cut off from Redis', () => {
  it('reports a gap when control messages it never read were trimmed', async () => {
    const keyPrefix = uniquePrefix('broker');
    prefixes.push(keyPrefix);
    const proxy = await TcpProxy.start(url as string);
    const a = new RedisBroker({ redis: proxy.url, keyPrefix, controlBacklog: 10 });
    const b = new RedisBroker({ redis: url as string, keyPrefix, controlBacklog: 10 });
    await Promise.all([a.ready(), b.ready()]);
    let gaps = 0;
    const got: unknown[] = [];
    a.onGap(() => gaps++);
    a.onControl((m) => got.push(m.n));
    await b.sendControl({ kind: 'x', n: -1 });
    while (got.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(gaps).toBe(0);

    await proxy.cut();
    // More than the (approximately trimmed) stream keeps.
    for (let n = 0; n < 400; n++) await b.sendControl({ kind: 'x', n });
    await proxy.heal();
    const end = Date.now() + 10_000;
    while (!got.includes(399) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(gaps).toBe(1);
    expect(got.at(-1)).toBe(399);
    expect(got.length).toBeLessThan(401); // some were trimmed: that is the gap it reported
    await a.close();
    await b.close();
    await proxy.cut();
  });
});
