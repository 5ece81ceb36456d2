import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { HubError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';

/**
 * How to reach Redis: a `redis://` / `rediss://` URL, or an ioredis client whose connection
 * settings (host, TLS, Sentinel…) the engine copies with `duplicate()`; the engine never uses or
 * closes that client itself.
 */
export type RedisTarget = string | Redis;

/** Seed nodes of a Redis Cluster: `redis://` or `rediss://` URLs of some of its nodes. */
export interface RedisClusterTarget {
  readonly clusterUrls: readonly string[];
}

/** Options shared by the Redis engine's parts. */
export interface RedisLinkOptions {
  /**
   * Milliseconds a command may take before it fails (the publish then gets 503).
   * @defaultValue 5000
   */
  commandTimeoutMs?: number | undefined;
  /** Extra ioredis options (TLS, username, Sentinel…), merged over the engine's. */
  redisOptions?: RedisOptions | undefined;
  /** Where connection problems are logged. @defaultValue silent */
  logger?: Logger | undefined;
}

/** `redis://user:secret@host:6379/0` → `redis://host:6379/0`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the configured Redis';
  }
}

/**
 * Checks a Redis URL up front so a typo fails with a clear message instead of endless
 * reconnection attempts.
 * @throws {RangeError} naming what is wrong.
 */
export function checkRedisUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`"${url}" is not a URL; give Redis as redis://host:6379 (or rediss:// for TLS).`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new RangeError(
      `The Redis URL must start with redis:// or rediss://, not ${u.protocol}//; for example redis://127.0.0.1:6379.`,
    );
  }
  if (!u.hostname) throw new RangeError(`The Redis URL "${redactUrl(url)}" names no host.`);
}

/** ioredis defaults for the engine: fail fast instead of queueing, never resend a command twice. */
export function engineRedisOptions(o: RedisLinkOptions, name: string): RedisOptions {
  return {
    connectionName: name,
    // A command that was in flight when the connection dropped may or may not have run; resending
    // it could append an event twice. It fails instead and the publisher decides (ids make
    // retries safe).
    autoResendUnfulfilledCommands: false,
    // Commands issued before the first connection wait for it; on any disconnect, queued and
    // in-flight commands fail at once rather than after 20 reconnection attempts.
    maxRetriesPerRequest: 0,
    commandTimeout: o.commandTimeoutMs ?? 5000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableReadyCheck: true,
    ...o.redisOptions,
  };
}

/**
 * Checks the seed URLs of a Redis Cluster (at least one; all with the same scheme and
 * credentials, which every node of a cluster shares).
 * @throws {RangeError} naming what is wrong.
 */
export function checkClusterUrls(urls: readonly string[]): void {
  if (urls.length === 0) {
    throw new RangeError(
      'Give at least one Redis Cluster node, such as redis://10.0.0.1:6379 (several, comma-separated, survive one being down).',
    );
  }
  for (const u of urls) checkRedisUrl(u);
  const schemes = new Set(urls.map((u) => new URL(u).protocol));
  if (schemes.size > 1) {
    throw new RangeError(
      'The Redis Cluster URLs mix redis:// and rediss://; every node of a cluster uses the same.',
    );
  }
}

/** ioredis `Cluster` options for the engine: the node settings of {@link engineRedisOptions}. */
function clusterOptions(urls: readonly string[], o: RedisLinkOptions, name: string) {
  const first = new URL(urls[0] as string);
  const node: RedisOptions = {
    ...engineRedisOptions(o, name),
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    ...o.redisOptions,
  };
  return {
    nodes: urls.map((u) => {
      const x = new URL(u);
      return { host: x.hostname, port: Number(x.port || 6379) };
    }),
    options: {
      redisOptions: node,
      // MOVED/ASK during a slot migration and CLUSTERDOWN/TRYAGAIN during a failover are retried
      // by ioredis (the command did not run); a dropped connection is not (it may have run).
      maxRedirections: 16,
      retryDelayOnMoved: 0,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
      slotsRefreshTimeout: 2000,
      enableReadyCheck: true,
      scaleReads: 'master' as const,
    },
  };
}

/**
 * An error saying the server is the other kind of Redis than the engine expects: a Redis Cluster
 * node given to the single-Redis engine, or a single Redis given to the cluster engine.
 */
export class WrongRedisModeError extends Error {
  override readonly name = 'WrongRedisModeError';
}

/**
 * Rejects with a {@link WrongRedisModeError} when `client`'s server is the other kind of Redis
 * than `cluster` says (`INFO cluster` shows `cluster_enabled`); resolves when it is the right
 * kind or cannot tell (INFO disabled on managed Redis).
 */
export async function checkRedisMode(client: Redis, cluster: boolean, where: string): Promise<void> {
  let info: string;
  try {
    info = await client.info('cluster');
  } catch (e) {
    if (!cluster && /cluster support disabled/i.test(String((e as Error).message))) return;
    if (cluster && /cluster support disabled/i.test(String((e as Error).message))) {
      throw new WrongRedisModeError(wrongMode(true, where));
    }
    return;
  }
  const enabled = /cluster_enabled:1/.test(info);
  if (enabled !== cluster) throw new WrongRedisModeError(wrongMode(cluster, where));
}

function wrongMode(cluster: boolean, where: string): string {
  return cluster
    ? `${where} is a single Redis, not a Redis Cluster (cluster support is disabled); connect with the single-Redis engine instead: redisEngine(url), or tidings serve --redis <url>.`
    : `Redis at ${where} is a node of a Redis Cluster (cluster_enabled:1), where the single-Redis engine would get MOVED answers; connect with the cluster engine instead: redisClusterEngine([urls]), or tidings serve --redis-cluster <url>,<url>.`;
}

/**
 * One ioredis connection plus what the engine needs to fail fast and explain itself: whether
 * Redis is known to be unreachable right now, and the last connection error.
 */
export class RedisLink {
  /**
   * The connection: a `Redis`, or for a cluster an ioredis `Cluster` (typed as `Redis`: the
   * engine only sends commands both route the same way, every key of a command in one slot).
   */
  readonly client: Redis;
  /** The URL without credentials, for messages. */
  readonly where: string;
  /** Whether {@link client} is a Redis Cluster client. */
  readonly cluster: boolean;
  private everReady = false;
  private lastError: string | undefined;
  private downSince: number | undefined;
  private readonly log: Logger;

  constructor(target: RedisTarget | RedisClusterTarget, options: RedisLinkOptions, name: string) {
    this.log = options.logger ?? silentLogger;
    this.cluster = false;
    if (typeof target === 'object' && 'clusterUrls' in target) {
      checkClusterUrls(target.clusterUrls);
      this.cluster = true;
      this.where = target.clusterUrls.map(redactUrl).join(', ');
      const c = clusterOptions(target.clusterUrls, options, name);
      this.client = new Cluster(c.nodes, c.options) as unknown as Redis;
    } else if (typeof target === 'string') {
      checkRedisUrl(target);
      this.where = redactUrl(target);
      this.client = new Redis(target, engineRedisOptions(options, name));
    } else {
      // The caller's client is a template (host, TLS, Sentinel…): the engine needs its own
      // connection settings (never resend, fail fast), so it works on a duplicate it owns.
      const o = target.options;
      this.where = `redis://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
      this.client = target.duplicate(engineRedisOptions(options, name));
    }
    this.client.on('ready', () => {
      if (this.downSince !== undefined) {
        this.log.info({ redis: this.where, downMs: Date.now() - this.downSince }, 'Redis is reachable again');
      }
      this.everReady = true;
      this.lastError = undefined;
      this.downSince = undefined;
    });
    this.client.on('error', (err: Error) => {
      const first = this.lastError === undefined;
      this.lastError = err.message;
      this.downSince ??= Date.now();
      if (first) this.log.warn({ redis: this.where, err: err.message }, 'Redis connection failed; retrying');
    });
    this.client.on('close', () => {
      if (this.everReady) this.downSince ??= Date.now();
    });
  }

  /**
   * A new connection with the same settings plus `overrides` (for a cluster, a new cluster client
   * whose node connections get them), for blocking reads.
   */
  duplicate(overrides: RedisOptions): Redis {
    if (!this.cluster) return this.client.duplicate(overrides);
    const c = this.client as unknown as Cluster;
    return c.duplicate([], {
      redisOptions: { ...c.options.redisOptions, ...overrides },
    }) as unknown as Redis;
  }

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * True when Redis is known to be unreachable: the connection was up and dropped, or the first
   * attempt failed. (While the first connection is still being made, commands wait for it.)
   */
  get knownDown(): boolean {
    return !this.ready && (this.everReady || this.lastError !== undefined);
  }

  /** Why Redis is unreachable, as a clause: `"(connect ECONNREFUSED 127.0.0.1:6379)"`. */
  private reason(): string {
    if (this.lastError) return ` (${this.lastError})`;
    if (this.client.status === 'end') return ' (the connection was closed)';
    return '';
  }

  /** A sentence for `/healthz`: Redis is unreachable, why, and what that means. */
  describeDown(): string {
    return `${this.subject()} is unreachable${this.reason()}; publishes fail with 503 until it is back.`;
  }

  /** A 503 saying Redis is unreachable and what that means for `consequence`. */
  unavailable(consequence: string): HubError {
    return new HubError(
      503,
      'unavailable',
      `${this.subject()} is unreachable${this.reason()}, so ${consequence}. Retry in a moment.`,
      undefined,
      { 'retry-after': '1' },
    );
  }

  /** Throws {@link unavailable} right away when Redis is known to be down, instead of queueing. */
  assertUp(consequence: string): void {
    if (this.knownDown || this.client.status === 'end') throw this.unavailable(consequence);
  }

  /**
   * Turns a failed command into a HubError. Connection errors become 503 with `consequence`;
   * Redis' own errors (out of memory, a script error) become 503 quoting Redis.
   */
  failure(err: unknown, consequence: string): HubError {
    if (err instanceof HubError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    if (this.knownDown || /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET/i.test(msg)) {
      return this.unavailable(consequence);
    }
    if (/MaxRetriesPerRequest|timed out/i.test(msg)) {
      return new HubError(
        503,
        'unavailable',
        `${this.subject()} did not answer in time (${msg}), so ${consequence}. Retry in a moment.`,
        undefined,
        { 'retry-after': '1' },
      );
    }
    return new HubError(503, 'unavailable', `${this.subject()} refused the command: ${msg}`, undefined, {
      'retry-after': '1',
    });
  }

  /** "Redis at redis://host:6379", or "the Redis Cluster at …", to start a sentence with. */
  subject(): string {
    return this.cluster ? `The Redis Cluster at ${this.where}` : `Redis at ${this.where}`;
  }

  /** Resolves once connected, or rejects after `timeoutMs` with the reason. */
  async waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.client.off('ready', ok);
        reject(new Error(`${this.subject()} is not reachable after ${timeoutMs} ms${this.reason()}.`));
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.client.once('ready', ok);
    });
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
