/**
 * A private Redis Cluster for tests: 3 primaries and 3 replicas of `redis-server
 * --cluster-enabled yes` on free ports, each in its own temp dir, created with
 * `redis-cli --cluster create … --cluster-replicas 1`. Tests that need one call
 * {@link needRedisCluster} at the top of the file (it skips loudly without `redis-server`, or fails
 * under `TIDINGS_REQUIRE_SERVICES=1`) and `await cluster.destroy()` in `afterAll`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, missingService, pingRedis, redisServerBinary } from '../services.js';

const run = promisify(execFile);

/** One `redis-server` of the cluster. */
export interface ClusterNode {
  readonly port: number;
  readonly dir: string;
  proc: ChildProcess | undefined;
}

/** The `redis-cli` next to `redis-server`, or undefined. */
function redisCliBinary(): string | undefined {
  const server = redisServerBinary();
  return server ? server.replace(/redis-server$/, 'redis-cli') : undefined;
}

/** True when both binaries exist; otherwise skips loudly (or throws under TIDINGS_REQUIRE_SERVICES=1). */
export function needRedisCluster(file: string): boolean {
  if (redisServerBinary() && redisCliBinary()) return true;
  return missingService(
    'redis-server / redis-cli are not installed, so no Redis Cluster can be started',
    file,
    'Install them (apt-get install redis-server); .ci/run does.',
  );
}

/** A running local cluster; see the module description. */
export class LocalRedisCluster {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly primaries: number,
  ) {}

  /** Seed URLs of every node, for `--redis-cluster` or `redisClusterEngine`. */
  get urls(): string[] {
    return this.nodes.map((n) => `redis://127.0.0.1:${n.port}`);
  }

  /** Starts `primaries` primaries with one replica each and waits until the cluster is `ok`. */
  static async start(primaries = 3): Promise<LocalRedisCluster> {
    const bin = redisServerBinary();
    const cli = redisCliBinary();
    if (!bin || !cli) throw new Error('redis-server and redis-cli are needed to start a Redis Cluster.');
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < primaries * 2; i++) {
      nodes.push({
        port: await freePort(),
        dir: mkdtempSync(join(tmpdir(), 'tidings-cluster-')),
        proc: undefined,
      });
    }
    const c = new LocalRedisCluster(nodes, primaries);
    try {
      await Promise.all(nodes.map((n) => c.startNode(n)));
      await run(
        cli,
        [
          '--cluster',
          'create',
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      await c.waitHealthy();
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  /** Starts (or restarts) one node on its port and directory. */
  async startNode(n: ClusterNode): Promise<void> {
    const bin = redisServerBinary() as string;
    const proc = spawn(
      bin,
      [
        '--port',
        String(n.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        n.dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        // Fast failover for tests: a primary is declared failed after 1 s of silence.
        '--cluster-node-timeout',
        '1000',
        '--save',
        '',
        // Replicas sync at once (diskless, no 5 s delay), so WAIT counts them from the start.
        '--repl-diskless-sync',
        'yes',
        '--repl-diskless-sync-delay',
        '0',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    n.proc = proc;
    const end = Date.now() + 10_000;
    while (!(await pingRedis(`redis://127.0.0.1:${n.port}`))) {
      if (proc.exitCode !== null || Date.now() > end)
        throw new Error(`redis-server on port ${n.port} did not start.`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  /** Waits until every live node reports `cluster_state:ok` with every slot served, and every replica is in sync. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        this.nodes
          .filter((n) => n.proc && n.proc.exitCode === null && n.proc.signalCode === null)
          .map((n) => this.command(n.port, ['CLUSTER', 'INFO']).catch(() => '')),
      );
      if (
        states.every(
          (s) => String(s).includes('cluster_state:ok') && String(s).includes('cluster_slots_ok:16384'),
        )
      ) {
        // And every replica has finished its sync (else WAIT counts it out).
        const repl = await Promise.all(
          this.nodes
            .filter((n) => n.proc && n.proc.exitCode === null && n.proc.signalCode === null)
            .map((n) => this.command(n.port, ['INFO', 'replication']).catch(() => '')),
        );
        const synced = repl.filter((r) => String(r).includes('master_link_status:up')).length;
        if (synced >= repl.length - this.primaries) return;
      }
      if (Date.now() > end)
        throw new Error(`The Redis Cluster did not become healthy: ${states.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs one command on one node. */
  async command(port: number, args: string[]): Promise<unknown> {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      return await r.call(args[0] as string, ...args.slice(1));
    } finally {
      r.disconnect();
    }
  }

  /** The node serving `slot` as primary. */
  async primaryOf(slot: number): Promise<ClusterNode> {
    for (const n of this.nodes) {
      if (!n.proc || n.proc.exitCode !== null || n.proc.signalCode !== null) continue;
      const slots = (await this.command(n.port, ['CLUSTER', 'SLOTS']).catch(() => [])) as Array<
        [number, number, [string, number]]
      >;
      for (const [from, to, [, port]] of slots) {
        if (slot >= from && slot <= to) {
          const node = this.nodes.find((x) => x.port === port);
          if (node) return node;
        }
      }
    }
    throw new Error(`No primary serves slot ${slot}.`);
  }

  /** Kills a node (SIGKILL: a crash). */
  async kill(n: ClusterNode): Promise<void> {
    const p = n.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** `redis-cli --cluster …` against the first live node. */
  async cli(args: string[], timeoutMs = 60_000): Promise<string> {
    const live = this.nodes.find((n) => n.proc && n.proc.exitCode === null && n.proc.signalCode === null);
    const { stdout } = await run(
      redisCliBinary() as string,
      ['--cluster', ...args.map((a) => a.replace('$NODE', `127.0.0.1:${live?.port}`))],
      { timeout: timeoutMs },
    );
    return stdout;
  }

  /** Kills every node and removes their directories. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n)));
    for (const n of this.nodes) rmSync(n.dir, { recursive: true, force: true });
  }
}
