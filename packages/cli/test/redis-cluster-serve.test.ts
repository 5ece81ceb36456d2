import { afterAll, describe, expect, it } from 'vitest';
import { StreamReader } from '../../server/test/helpers.js';
import { needRedis, uniquePrefix } from '../../server/test/services.js';
import { LocalRedisCluster, needRedisCluster } from '../../server/test/support/redis-cluster.js';
import { run, type ServeProcess, serve } from './spawn-cli.js';

/** `tidings serve --redis-cluster` against a local 3+3 Redis Cluster this file starts. */
const cluster = needRedisCluster(import.meta.url) ? await LocalRedisCluster.start() : undefined;
const single = await needRedis(import.meta.url);
const procs: ServeProcess[] = [];
afterAll(async () => {
  for (const p of procs) p.proc.kill('SIGKILL');
  await cluster?.destroy();
});

describe.skipIf(!cluster)('tidings serve --redis-cluster', () => {
  it('runs two nodes as one: publish on either, subscribe on the other', async () => {
    const c = cluster as LocalRedisCluster;
    const prefix = uniquePrefix('cli-cluster');
    const seeds = c.urls.slice(0, 2).join(',');
    const nodes = await Promise.all(
      [0, 1].map(() =>
        serve([
          '--redis-cluster',
          seeds,
          '--redis-prefix',
          prefix,
          '--redis-replicas',
          '1',
          '--retention-events',
          '50',
        ]),
      ),
    );
    procs.push(...nodes);
    const [a, b] = nodes as [ServeProcess, ServeProcess];
    const reader = await StreamReader.open(b.url, ['room/*']);
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${(i % 2 ? a : b).url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: `room/${i}`, type: 't', data: i }),
      });
      expect(res.status).toBe(201);
      sent.push(((await res.json()) as { id: string }).id);
    }
    await reader.waitForEvents(10, 10_000);
    expect(new Set(reader.events.map((e) => e.id))).toEqual(new Set(sent));
    await reader.close();
  }, 60_000);

  it('tells a cluster node given to --redis to use --redis-cluster, and a single Redis given to --redis-cluster to use --redis', async () => {
    const c = cluster as LocalRedisCluster;
    const wrong = await run(['serve', '--port', '0', '--dev', '--redis', c.urls[0] as string], {
      timeoutMs: 30_000,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/is a node of a Redis Cluster \(cluster_enabled:1\).*--redis-cluster/);
    if (single) {
      const other = await run(['serve', '--port', '0', '--dev', '--redis-cluster', single], {
        timeoutMs: 30_000,
      });
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/is a single Redis, not a Redis Cluster.*--redis <url>/);
    }
    const both = await run(['serve', '--redis', 'redis://a:1', '--redis-cluster', 'redis://b:1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--redis and --redis-cluster exclude each other/);
    const badReplicas = await run([
      'serve',
      '--dev',
      '--redis-cluster',
      'redis://b:1',
      '--redis-replicas',
      'two',
    ]);
    expect(badReplicas.code).toBe(2);
    expect(badReplicas.stderr).toMatch(/--redis-replicas is a whole number of replicas from 0 to 16/);
  }, 90_000);
});
