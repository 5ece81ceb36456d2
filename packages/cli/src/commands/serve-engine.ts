import { join, resolve } from 'node:path';
import {
  type Engine,
  type HistoryStore,
  ipcEngine,
  localEngine,
  memoryStore,
  sqliteRevocations,
  sqliteStore,
} from '@tidings/server';
import type { Logger } from 'pino';
import { parseDuration } from '../parse-values.js';
import { UsageError } from '../usage-error.js';
import type { Retention, ServeValues } from './serve-flags.js';

/** The engine a `tidings serve` process runs on, and where its history lives (for the logs). */
export interface ServeEngine {
  readonly engine: Engine;
  readonly where: string;
}

/**
 * Opens the engine of one serving process: Redis with `--redis` (not reachable yet only degrades
 * it), the primary's history over IPC in a worker of `--workers`, else SQLite under `--data` or
 * memory with `--memory`.
 * @param worker this process's worker number, undefined when it serves alone.
 * @throws UsageError for a malformed Redis URL, prefix or `--presence-ttl`.
 */
export async function openEngine(
  values: ServeValues,
  retention: Retention,
  worker: string | undefined,
  workers: number,
  logger: Logger,
): Promise<ServeEngine> {
  if (values.nats !== undefined) return openNatsEngine(values.nats, values, retention, logger);
  if (values['redis-cluster'] !== undefined) return openClusterEngine(values, retention, logger);
  if (values.redis !== undefined) {
    // Loaded only here, so ioredis is not loaded by hubs that do not use it.
    const { redisEngine, redactUrl } = await import('@tidings/server/redis');
    const presenceTtlMs =
      values['presence-ttl'] === undefined
        ? undefined
        : parseDuration('presence-ttl', values['presence-ttl']);
    let redis: ReturnType<typeof redisEngine>;
    try {
      redis = redisEngine(values.redis, {
        keyPrefix: values['redis-prefix'],
        replicas: redisReplicas(values),
        retention,
        presenceTtlMs,
        logger,
      });
    } catch (e) {
      // A malformed URL, prefix or TTL: say what is wrong instead of printing a stack.
      if (e instanceof RangeError) throw new UsageError(e.message);
      throw e;
    }
    const where = `redis ${redactUrl(values.redis)} (prefix ${redis.keys.base.slice(1, -2)})`;
    await redis.ready().catch((e: Error) => {
      if (e.name === 'WrongRedisModeError') throw new UsageError(e.message);
      logger.warn(
        { err: e.message },
        'Redis is not reachable yet: serving degraded (publishes get 503) until it is; retrying',
      );
    });
    return { engine: redis, where };
  }
  if (worker !== undefined) {
    // The primary owns the history; each worker opens the revocations file itself (SQLite
    // serves several processes), or keeps them in memory with --memory.
    const engine = await ipcEngine(
      process,
      values.memory ? undefined : sqliteRevocations({ path: revocationsPath(values) }),
    );
    return { engine, where: `${engine.store.kind} in the primary process (worker ${worker} of ${workers})` };
  }
  const history = localHistory(values, retention);
  // Forced logouts survive a restart along with the history.
  const engine = localEngine(
    history.store,
    undefined,
    values.memory ? undefined : sqliteRevocations({ path: revocationsPath(values) }),
  );
  return { engine, where: history.where };
}

/**
 * The engine the primary of `--workers` serves its workers' history from; undefined with
 * `--redis` or `--nats`, where every worker is a node of the shared engine.
 */
export async function primaryEngine(values: ServeValues, retention: Retention): Promise<Engine | undefined> {
  const shared =
    values.redis !== undefined || values['redis-cluster'] !== undefined || values.nats !== undefined;
  const engine = shared ? undefined : localEngine(localHistory(values, retention).store);
  // Every worker opens the revocations file; creating it (schema, WAL mode) here, before any of
  // them starts, leaves them nothing to race for.
  if (!shared && !values.memory) await sqliteRevocations({ path: revocationsPath(values) }).close();
  return engine;
}

/**
 * The NATS JetStream engine of `--nats`: a malformed URL, prefix or TTL is a usage error; NATS
 * unreachable only degrades the hub (it connects when NATS comes up), but a NATS without
 * JetStream stops the start, since waiting will not fix it.
 */
async function openNatsEngine(
  url: string,
  values: ServeValues,
  retention: Retention,
  logger: Logger,
): Promise<ServeEngine> {
  // Loaded only here, so the NATS client is not loaded by hubs that do not use it.
  const { natsEngine, redactNatsUrl } = await import('@tidings/server/nats');
  const presenceTtlMs =
    values['presence-ttl'] === undefined ? undefined : parseDuration('presence-ttl', values['presence-ttl']);
  let nats: ReturnType<typeof natsEngine>;
  try {
    nats = natsEngine(url, { prefix: values['nats-prefix'], retention, presenceTtlMs, logger });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  try {
    await nats.ready();
  } catch (e) {
    const message = (e as Error).message;
    if (/JetStream/.test(message)) {
      await nats.close();
      throw new UsageError(message);
    }
    logger.warn(
      { err: message },
      'NATS is not reachable yet: serving degraded (publishes get 503) until it is; retrying',
    );
  }
  return { engine: nats, where: `nats ${redactNatsUrl(url)} (stream ${nats.store.names.stream})` };
}

/** The history of a hub without --redis: SQLite under --data, or memory with --memory. */
function localHistory(values: ServeValues, retention: Retention): { store: HistoryStore; where: string } {
  if (values.memory) return { store: memoryStore({ retention }), where: 'memory (lost on restart)' };
  const path = join(resolve(values.data ?? '.tidings'), 'history.db');
  return {
    store: sqliteStore({ path, retention, durability: values.durability as 'process' | 'power' | undefined }),
    where: `sqlite ${path}`,
  };
}

function revocationsPath(values: ServeValues): string {
  return join(resolve(values.data ?? '.tidings'), 'revocations.db');
}

/** `--redis-replicas`: how many replicas must hold a publish before it is acknowledged (WAIT). */
function redisReplicas(values: ServeValues): number | undefined {
  const v = values['redis-replicas'];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 16) {
    throw new UsageError(
      `--redis-replicas is a whole number of replicas from 0 to 16, such as 1; got "${v}".`,
    );
  }
  return Number(v);
}

/** The engine on a Redis Cluster (`--redis-cluster <url>,<url>`). */
async function openClusterEngine(
  values: ServeValues,
  retention: Retention,
  logger: Logger,
): Promise<ServeEngine> {
  const { redisClusterEngine, redactUrl } = await import('@tidings/server/redis');
  const urls = (values['redis-cluster'] as string)
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const presenceTtlMs =
    values['presence-ttl'] === undefined ? undefined : parseDuration('presence-ttl', values['presence-ttl']);
  let engine: ReturnType<typeof redisClusterEngine>;
  try {
    engine = redisClusterEngine(urls, {
      keyPrefix: values['redis-prefix'],
      retention,
      presenceTtlMs,
      replicas: redisReplicas(values),
      logger,
    });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const where = `redis cluster ${urls.map(redactUrl).join(',')} (prefix ${engine.map.prefix}, ${engine.map.count} shards)`;
  await engine.ready().catch((e: Error) => {
    if (e.name === 'WrongRedisModeError') throw new UsageError(e.message);
    logger.warn(
      { err: e.message },
      'The Redis Cluster is not reachable yet: serving degraded (publishes get 503) until it is; retrying',
    );
  });
  return { engine, where };
}
