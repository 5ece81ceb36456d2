import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type RedisClusterEngine,
  redisClusterEngine,
} from '../src/engines/redis-cluster/redis-cluster-engine.js';
import { post, type RunningHub, StreamReader, startHub } from './helpers.js';
import { uniquePrefix } from './services.js';
import { LocalRedisCluster, needRedisCluster } from './support/redis-cluster.js';

/**
 * Hub nodes on a real local Redis Cluster (3 primaries, 3 replicas) that this file starts: two
 * hubs in this process, each with its own engine (its own connections), as separate nodes would
 * have; then a primary killed, and a slot migrated, while publishing.
 */
const cluster = needRedisCluster(import.meta.url) ? await LocalRedisCluster.start() : undefined;
const hubs: RunningHub[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of hubs.splice(0)) await h.close();
});
afterAll(async () => {
  await cluster?.destroy();
});

async function node(keyPrefix: string, replicas = 0): Promise<RunningHub & { engine: RedisClusterEngine }> {
  const engine = redisClusterEngine(cluster?.urls ?? [], {
    keyPrefix,
    shards: 6,
    replicas,
    replicaTimeoutMs: 500,
  });
  await engine.ready(10_000);
  const h = await startHub({ engine, heartbeatMs: 100 });
  hubs.push(h);
  return Object.assign(h, { engine });
}

async function open(...args: Parameters<typeof StreamReader.open>): Promise<StreamReader> {
  const r = await StreamReader.open(...args);
  readers.push(r);
  return r;
}

async function publish(
  h: RunningHub,
  topic: string,
  data: unknown,
  id?: string,
): Promise<{ status: number; id?: string }> {
  const res = await post(h.url, { topic, type: 't', data, ...(id && { id }) });
  return { status: res.status, id: res.body.id as string | undefined };
}

const ids = (r: StreamReader) => r.events.map((e) => e.id);

describe.skipIf(!cluster)('hub nodes on a Redis Cluster', () => {
  it('delivers publishes on either node to subscribers on both, in one order; a resume across slots replays exactly the rest', async () => {
    const prefix = uniquePrefix('cnodes');
    const [a, b] = [await node(prefix), await node(prefix)];
    const topics = Array.from({ length: 10 }, (_, i) => `room/${i}`);
    // The topics really span several shards (slots).
    const shards = new Set(topics.map((t) => a.engine.map.shardOf(t)));
    expect(shards.size).toBeGreaterThanOrEqual(3);
    const onA = await open(a.url, ['room/*']);
    const onB = await open(b.url, topics);
    const sent: Array<{ topic: string; id: string }> = [];
    for (let i = 0; i < 60; i++) {
      const topic = topics[i % topics.length] as string;
      const r = await publish(i % 2 ? a : b, topic, { i });
      expect(r.status).toBe(201);
      sent.push({ topic, id: r.id as string });
    }
    await onA.waitForEvents(60, 10_000);
    await onB.waitForEvents(60, 10_000);
    // One order everywhere, and per topic the publish order.
    expect(ids(onA)).toEqual(ids(onB));
    expect(new Set(ids(onA))).toEqual(new Set(sent.map((s) => s.id)));
    for (const t of topics) {
      expect(onA.events.filter((e) => e.topic === t).map((e) => e.id)).toEqual(
        sent.filter((s) => s.topic === t).map((s) => s.id),
      );
    }
    // Resume on the other node, across every slot, from several points: exactly the rest.
    const order = ids(onA);
    for (const k of [0, 17, 41, 59]) {
      const resumed = await open(k % 2 ? a.url : b.url, topics, { lastEventId: order[k] as string });
      if (k < 59) await resumed.waitForEvents(59 - k, 10_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(ids(resumed)).toEqual(order.slice(k + 1));
    }
  });

  it('loses no acknowledged event when a primary is killed and its replica promoted, with replicas: 1 (WAIT), checked against a ledger; reports the loss window without it', async () => {
    const c = cluster as LocalRedisCluster;
    const results: Record<string, { acked: number; lost: number; failed: number }> = {};
    for (const replicas of [1, 0]) {
      const prefix = uniquePrefix(`cfail${replicas}`);
      const a = await node(prefix, replicas);
      const topics = Array.from({ length: 12 }, (_, i) => `ledger/${i}`);
      const victimShard = a.engine.map.shardOf(topics[0] as string);
      const victim = await c.primaryOf(a.engine.map.slots[victimShard] as number);
      const ledger = new Set<string>();
      let failed = 0;
      let stop = false;
      let n = 0;
      // Publishers: each retries a failed publish with the same id until it is acknowledged.
      const worker = async (w: number) => {
        while (!stop) {
          const id = `w${w}-${n++}`;
          const topic = topics[n % topics.length] as string;
          for (let attempt = 0; ; attempt++) {
            const r = await publish(a, topic, { id }, id);
            // 200: a retry found the event an earlier attempt stored (its 503 said "maybe").
            if (r.status === 201 || r.status === 200) {
              ledger.add(`${topic}\n${id}`);
              break;
            }
            failed++;
            expect(r.status).toBe(503);
            if (stop && attempt > 200) break;
            await new Promise((res) => setTimeout(res, 50));
          }
        }
      };
      const workers = [worker(1), worker(2), worker(3)];
      await new Promise((r) => setTimeout(r, 500));
      await c.kill(victim);
      // The replica takes over (node timeout 1 s); the old primary comes back as its replica, so
      // WAIT 1 can be satisfied again.
      await new Promise((r) => setTimeout(r, 3000));
      await c.startNode(victim);
      await c.waitHealthy(30_000);
      await new Promise((r) => setTimeout(r, 1500));
      stop = true;
      await Promise.all(workers);
      const history = await a.engine.store.readAfter('0', { topics, patterns: [] }, 100_000);
      const stored = new Set(history.events.map((e) => `${e.topic}\n${e.id}`));
      const lost = [...ledger].filter((x) => !stored.has(x));
      results[`replicas=${replicas}`] = { acked: ledger.size, lost: lost.length, failed };
      if (replicas === 1) expect(lost).toEqual([]);
      expect(ledger.size).toBeGreaterThan(20);
      // Publishing works again on every shard after the failover.
      for (const t of topics) expect((await publish(a, t, 'after')).status).toBe(201);
      await a.close();
      hubs.splice(hubs.indexOf(a), 1);
    }
    console.log(
      `Redis Cluster failover ledger (acknowledged, lost, 503s retried): ${JSON.stringify(results)}`,
    );
  }, 120_000);

  it('loses nothing while a shard slot migrates to another primary during publishing', async () => {
    const c = cluster as LocalRedisCluster;
    const prefix = uniquePrefix('cmig');
    const [a, b] = [await node(prefix), await node(prefix)];
    const topic = 'migrating/1';
    const shard = a.engine.map.shardOf(topic);
    const slot = a.engine.map.slots[shard] as number;
    const sub = await open(b.url, [topic]);
    const ledger: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await publish(a, topic, i);
      expect(r.status).toBe(201);
      ledger.push(r.id as string);
    }
    let stop = false;
    const publisher = (async () => {
      let i = 20;
      while (!stop) {
        const id = `m-${i}`;
        const r = await publish(i % 2 ? a : b, topic, i, id);
        if (r.status === 201) {
          ledger.push(r.id as string);
          i++;
        } else {
          expect(r.status).toBe(503);
          await new Promise((res) => setTimeout(res, 20));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const src = await c.primaryOf(slot);
    const dst = c.nodes.find((n) => n !== src && n.proc) as (typeof c.nodes)[number];
    const idOf = async (port: number) => String(await c.command(port, ['CLUSTER', 'MYID']));
    const [srcId, dstId] = [await idOf(src.port), await idOf(dst.port)];
    // dst must be a primary: make it the target only if it is one, else pick another.
    const primaries: typeof c.nodes = [];
    for (const n of c.nodes) {
      const role = String(await c.command(n.port, ['ROLE']).then((r) => (r as unknown[])[0]));
      if (role === 'master' && n !== src) primaries.push(n);
    }
    const target = primaries[0] as (typeof c.nodes)[number];
    const targetId = await idOf(target.port);
    expect(dstId.length).toBeGreaterThan(0);
    await c.command(target.port, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', srcId]);
    await c.command(src.port, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId]);
    for (;;) {
      const keys = (await c.command(src.port, [
        'CLUSTER',
        'GETKEYSINSLOT',
        String(slot),
        '1000',
      ])) as string[];
      if (keys.length === 0) break;
      await c.command(src.port, [
        'MIGRATE',
        '127.0.0.1',
        String(target.port),
        '',
        '0',
        '5000',
        'KEYS',
        ...keys,
      ]);
    }
    for (const n of c.nodes) {
      await c.command(n.port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId]).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await publisher;
    expect((await c.primaryOf(slot)).port).toBe(target.port);
    await sub.waitForEvents(ledger.length, 10_000);
    expect(ids(sub)).toEqual(ledger);
    const history = await a.engine.store.readAfter('0', { topics: [topic], patterns: [] }, 100_000);
    expect(history.events.map((e) => e.id)).toEqual(ledger);
  }, 60_000);
});
