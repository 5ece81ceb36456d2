import { afterAll, describe, expect, it } from 'vitest';
import { deleteNatsPrefix, needNats, OwnNats, uniqueNatsPrefix } from '../../../test/nats-services.js';
import { createHub } from '../../hub.js';
import { runBrokerSuite } from '../../testing/broker-suite.js';
import { runPresenceSuite } from '../../testing/presence-suite.js';
import { runRevocationSuite } from '../../testing/revocation-suite.js';
import { natsBroker } from './nats-broker.js';
import { natsEngine } from './nats-engine.js';
import { NatsLink } from './nats-link.js';
import { NatsPresence } from './nats-presence.js';
import { NatsRevocationStore } from './nats-revocations.js';

const url = await needNats(import.meta.url);
const prefixes: string[] = [];
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteNatsPrefix(url, p);
});
const prefix = () => {
  const p = uniqueNatsPrefix('engine');
  prefixes.push(p);
  return p;
};

describe.skipIf(!url)('NatsBroker', () => {
  runBrokerSuite({
    name: 'nats',
    maxNodes: 3,
    async create(n) {
      const p = prefix();
      const nodes = Array.from({ length: n }, () => natsBroker({ url: url as string, prefix: p }));
      await Promise.all(nodes.map((b) => b.ready()));
      return nodes;
    },
  });
});

describe.skipIf(!url)('NatsRevocationStore', () => {
  const bucketOf = new WeakMap<object, string>();
  runRevocationSuite({
    name: 'nats',
    create(now) {
      const bucket = `${prefix()}_revocations`;
      const s = new NatsRevocationStore(new NatsLink(url as string, {}, 'test'), { bucket, now }, true);
      bucketOf.set(s, bucket);
      return s;
    },
    async reopen(store) {
      const bucket = bucketOf.get(store) as string;
      await store.close?.();
      return new NatsRevocationStore(new NatsLink(url as string, {}, 'test'), { bucket }, true);
    },
  });
});

describe.skipIf(!url)('NatsPresence', () => {
  const prefixOf = new Map<number, string>();
  runPresenceSuite({
    name: 'nats',
    create(shared) {
      let p = prefixOf.get(shared);
      if (!p) {
        p = prefix();
        prefixOf.set(shared, p);
      }
      return new NatsPresence(new NatsLink(url as string, {}, 'test'), { bucket: `${p}_presence` }, true);
    },
  });
});

describe.skipIf(!url)('natsEngine', () => {
  it('runs a hub: a publish is stored, fanned out and replayed', async () => {
    const engine = natsEngine(url as string, { prefix: prefix() });
    const hub = createHub({ engine });
    try {
      await engine.ready();
      const got: string[] = [];
      engine.broker.subscribe((evs) => got.push(...evs.map((e) => e.id)));
      const r = await hub.publish({ topic: 't', type: 'x', data: 1 });
      const end = Date.now() + 5000;
      while (got.length === 0 && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
      expect(got).toEqual([r.id]);
      expect(await engine.health()).toEqual({ status: 'ok' });
    } finally {
      await hub.close();
    }
  });

  it('refuses a malformed URL, a Redis URL and bad options before connecting', () => {
    expect(() => natsEngine('127.0.0.1:4222')).toThrow(/nats:\/\//);
    expect(() => natsEngine('redis://127.0.0.1:6379')).toThrow(/Redis URL; pass it to --redis/);
    expect(() => natsEngine('http://127.0.0.1:4222')).toThrow(/must start with nats:\/\/ or tls:\/\//);
    expect(() => natsEngine(url as string, { prefix: 'a.b' })).toThrow(/letters, digits/);
    expect(() => natsEngine(url as string, { presenceTtlMs: 10 })).toThrow(/presenceTtlMs/);
    expect(() => natsEngine(url as string, { replicas: 7 })).toThrow(/replicas/);
  });

  it('says when nothing listens at the URL', async () => {
    const engine = natsEngine('nats://127.0.0.1:1', { requestTimeoutMs: 200 });
    try {
      await expect(engine.ready(600)).rejects.toThrow(
        /NATS at nats:\/\/127\.0\.0\.1:1 is not reachable after 600 ms.*check the URL and that nats-server is running/,
      );
      const h = await engine.health();
      expect(h.status).toBe('degraded');
      const err = await engine.store
        .append([{ topic: 't', type: 'x', ts: 1, dataJson: '1' }])
        .catch((e) => e);
      expect(err.status).toBe(503);
      expect(err.message).toMatch(/NATS at nats:\/\/127\.0\.0\.1:1 is unreachable.*the event was not stored/);
    } finally {
      await engine.close();
    }
  });
});

describe.skipIf(!url)('natsEngine against a NATS without JetStream', () => {
  it('says to enable JetStream', async () => {
    const plain = await OwnNats.start({ jetstream: false });
    const engine = natsEngine(plain.url);
    try {
      await expect(engine.ready(3000)).rejects.toThrow(
        /does not have JetStream enabled; start nats-server with -js/,
      );
      const h = await engine.health();
      expect(h).toEqual({ status: 'degraded', detail: expect.stringMatching(/JetStream enabled/) });
    } finally {
      await engine.close();
      await plain.destroy();
    }
  });
});
