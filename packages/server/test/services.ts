/**
 * External services for integration tests (Redis today). A test that needs one calls
 * `await needRedis()` at the top of its file and wraps its tests in `describe.skipIf(!url)`:
 * locally the tests skip with a loud message when the service is absent; under
 * `TIDINGS_REQUIRE_SERVICES=1` (set by `.ci/run`) the file fails instead.
 *
 * Redis is shared by every test run on the machine: use {@link uniquePrefix} for keys, delete
 * them afterwards ({@link deleteRedisKeys}), never FLUSH, stop or reconfigure it. For restarts,
 * start your own server with {@link OwnRedis}.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';

/** The shared Redis, `$TIDINGS_REDIS_URL` or the local default. */
export const REDIS_URL = process.env.TIDINGS_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a missing service fails the run instead of skipping (CI). */
export const SERVICES_REQUIRED = process.env.TIDINGS_REQUIRE_SERVICES === '1';

/**
 * Reports a missing service: throws under `TIDINGS_REQUIRE_SERVICES=1`, else prints a banner
 * that is hard to miss and returns false.
 */
export function missingService(what: string, file: string, hint: string): false {
  const msg = `${what} — the tests in ${basename(file)} cannot run. ${hint}`;
  if (SERVICES_REQUIRED) {
    throw new Error(`TIDINGS_REQUIRE_SERVICES=1 and ${msg}`);
  }
  const line = '!'.repeat(100);
  console.warn(
    `\n${line}\n!!! SKIPPED: ${msg}\n!!! (Under TIDINGS_REQUIRE_SERVICES=1, as in .ci/run, this fails.)\n${line}\n`,
  );
  return false;
}

/** Sends PING over a raw socket; true when Redis answers PONG within a second. */
export function pingRedis(url = REDIS_URL): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = netConnect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * The shared Redis URL if it answers; otherwise skips loudly (or throws under
 * `TIDINGS_REQUIRE_SERVICES=1`). Call at the top of a test file: `const redis = await needRedis(import.meta.url)`.
 */
export async function needRedis(file: string): Promise<string | undefined> {
  if (await pingRedis()) return REDIS_URL;
  missingService(
    `Redis is not reachable at ${REDIS_URL}`,
    file,
    'Start one with `redis-server --save "" --appendonly no` or set TIDINGS_REDIS_URL.',
  );
  return undefined;
}

/** The `redis-server` binary, for tests that start (and restart) their own Redis. */
export function redisServerBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Like {@link needRedis}, for tests that need the `redis-server` binary. */
export function needRedisServer(file: string): boolean {
  if (redisServerBinary()) return true;
  return missingService(
    'redis-server is not installed',
    file,
    'Install it (apt-get install redis-server); .ci/run does.',
  );
}

/** A key prefix no other test run uses. */
export function uniquePrefix(label = 'test'): string {
  return `tidings-${label}-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key of a prefix (as built by the engine: `{prefix}:…`). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A private `redis-server` on a free port, for tests that stop and restart Redis. Without
 * `persist` it keeps nothing across a restart (`--save "" --appendonly no`), which is how a test
 * makes "Redis lost the events" happen; with `persist` it writes an fsync-always AOF into a temp
 * directory, so a restart keeps everything.
 */
export class OwnRedis {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tidings-redis-'));

  private constructor(
    readonly port: number,
    private readonly persist: boolean,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(opts: { persist?: boolean } = {}): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort(), opts.persist ?? false);
    await r.start();
    return r;
  }

  /** Starts (again) on the same port. */
  async start(): Promise<void> {
    const bin = redisServerBinary();
    if (!bin) throw new Error('redis-server is not installed.');
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push(
      ...(this.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    );
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
    });
    proc.stderr?.on('data', (d) => {
      out += d;
    });
    this.proc = proc;
    const end = Date.now() + 10_000;
    while (!(await pingRedis(this.url))) {
      if (proc.exitCode !== null || Date.now() > end) {
        throw new Error(`redis-server on port ${this.port} did not start:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it: `SIGKILL` by default (a crash), `SIGTERM` for a clean shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  /** Stops it and removes its files. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A TCP proxy in front of a service, to cut one client off from it (a network partition) while
 * the service keeps running for everyone else. `cut()` drops every proxied connection and
 * refuses new ones; `heal()` accepts them again on the same port.
 */
export class TcpProxy {
  private server: import('node:net').Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** `redis://127.0.0.1:<port>` of the proxy (for a Redis target). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(targetUrl: string): Promise<TcpProxy> {
    const u = new URL(targetUrl);
    const p = new TcpProxy(await freePort(), { host: u.hostname, port: Number(u.port || 6379) });
    await p.heal();
    return p;
  }

  async heal(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = netConnect(this.target);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise((r) => s.close(r));
  }
}
