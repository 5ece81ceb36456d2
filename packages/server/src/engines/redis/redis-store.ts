import { comparePositions, isPosition } from '@tidings/protocol';
import { HubError } from '../../core/errors.js';
import type { NewEvent, StoredEvent } from '../../core/stored-event.js';
import { GeneratedIds, hasGeneratedShape } from '../generated-ids.js';
import type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  RetentionOptions,
  TopicFilter,
} from '../history-store.js';
import { MAX_ID_MATCHES } from '../history-store.js';
import { PrunedTopics } from '../pruned-topics.js';
import { newEpoch, RetentionPolicy } from '../retention.js';
import { codecOf } from './codec-of.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { APPEND } from './lua-append.js';
import { EPOCH } from './lua-fanout.js';
import { READ, RESOLVE } from './lua-read.js';
import { LuaScript } from './lua-script.js';
import { RedisAgeSweep } from './redis-age-sweep.js';
import { type AppendReply, appendArgs, appendResults } from './redis-append.js';
import { entriesToEvents, type Fields, orphanIds } from './redis-entries.js';
import { lostHistoryPoint, RedisIdKeys } from './redis-id-keys.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';
import { RedisTopicIndex, TOPICS_PER_SCRIPT } from './redis-topic-index.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions extends RedisLinkOptions {
  /** Redis URL, or an ioredis client to copy the connection settings of (see {@link RedisTarget}). */
  redis: RedisTarget;
  /**
   * Namespace of every key, so several hubs (or test runs) can share one Redis.
   * @defaultValue "tidings"
   */
  keyPrefix?: string | undefined;
  /** Per-topic retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /**
   * Length of the fan-out stream every node reads live events from. A node cut off from Redis
   * for longer than this many events makes its subscribers resume from history.
   * @defaultValue 10000
   */
  fanoutBacklog?: number | undefined;
  /** Clock in epoch ms for age retention, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
  /**
   * Acknowledge an append only once this many replicas of the Redis primary hold it (`WAIT`):
   * an acknowledged event then survives the primary's failure as long as one of those replicas
   * is promoted. 0 acknowledges as soon as the primary has it (asynchronous replication: a
   * failover can lose the last writes). When fewer replicas confirm within
   * {@link replicaTimeoutMs}, the publish fails with 503 although the primary stored it (a retry
   * with the same `id` is safe).
   * @defaultValue 0
   */
  replicas?: number | undefined;
  /** How long an append waits for {@link replicas} to confirm. @defaultValue 1000 */
  replicaTimeoutMs?: number | undefined;
  /**
   * The position clock of one shard of a sharded history (Redis Cluster): positions of shard
   * `offset` use sequence numbers congruent to `offset` modulo `stride`, so that shards never
   * hand out the same position. Absent for a single Redis.
   * @see redisClusterEngine
   */
  shardClock?:
    | {
        /** How many shards the history has (the modulus). @defaultValue 1 */
        readonly stride: number;
        /** This shard's number, from 0 (the residue). @defaultValue 0 */
        readonly offset: number;
      }
    | undefined;
  /** The id key to create when the history has none. @defaultValue a random one */
  newIdKey?: (() => string) | undefined;
}

/**
 * History in Redis, shared by every hub node: one stream per topic whose entry ids are the
 * positions (`<ms>-<seq>` from Redis' clock, strictly increasing across all topics), a hash of
 * supplied ids, a sorted set of topic names for pattern reads, per-topic eviction watermarks,
 * and two sorted sets of topics by the time of their newest event and of their watermark. A
 * wildcard read lists only the topics under its literal prefix, or the topics with events or
 * losses after the resume point (whichever is fewer), never every topic; it reads them
 * `TOPICS_PER_SCRIPT` at a time. A topic whose history age retention emptied is deleted. Appends run as one Lua script, so a batch is atomic, positions follow call order
 * across every node, and the event enters the fan-out stream in the same step (see
 * {@link RedisBroker}).
 *
 * Generated ids are positions encrypted with a key kept in Redis ({@link GeneratedIds}); if Redis
 * loses its data, a new key (and epoch) starts and clients resuming with an older id get `reset`
 * instead of a silent gap.
 *
 * Acknowledged means "Redis has it": as durable as Redis is configured to be (use
 * `appendonly yes` to survive a Redis restart).
 *
 * @see redisEngine to run a hub on it.
 */
export class RedisStore implements HistoryStore {
  readonly kind = 'redis';
  readonly keys: RedisKeys;
  readonly link: RedisLink;
  private readonly policy: RetentionPolicy;
  private readonly fanoutBacklog: number;
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly appendScript = new LuaScript(APPEND);
  private readonly epochScript = new LuaScript(EPOCH);
  /** The id key last seen in Redis, and those of histories Redis lost. */
  private readonly idKeys = new RedisIdKeys();
  private readonly readScript = new LuaScript(READ);
  private readonly resolveScript = new LuaScript(RESOLVE);
  private readonly ownsLink: boolean;
  private readonly topicIndex: RedisTopicIndex;
  private readonly ageSweep: RedisAgeSweep;
  private readonly replicas: number;
  private readonly replicaTimeoutMs: number;
  private readonly clock: string;
  private readonly newIdKey: () => string;
  private closed = false;

  /**
   * @param link a connection shared with the engine's other parts (the store then does not close it).
   * @param fannedOut filled with every event the append script also put on the fan-out stream,
   *   so the engine's broker does not publish them again.
   */
  constructor(
    options: RedisStoreOptions,
    link?: RedisLink,
    private readonly fannedOut?: WeakSet<StoredEvent>,
  ) {
    this.keys = redisKeys(options.keyPrefix ?? 'tidings');
    this.ownsLink = !link;
    this.link = link ?? new RedisLink(options.redis, options, 'tidings-store');
    this.policy = new RetentionPolicy(options.retention);
    this.fanoutBacklog = options.fanoutBacklog ?? 10_000;
    if (!Number.isInteger(this.fanoutBacklog) || this.fanoutBacklog < 1) {
      throw new RangeError(`fanoutBacklog must be a positive integer, not ${options.fanoutBacklog}.`);
    }
    this.replicas = options.replicas ?? 0;
    this.replicaTimeoutMs = options.replicaTimeoutMs ?? 1000;
    if (!Number.isInteger(this.replicas) || this.replicas < 0) {
      throw new RangeError(`replicas must be a whole number of at least 0, not ${options.replicas}.`);
    }
    if (!Number.isInteger(this.replicaTimeoutMs) || this.replicaTimeoutMs < 1) {
      throw new RangeError(
        `replicaTimeoutMs must be a whole number of at least 1, not ${options.replicaTimeoutMs}.`,
      );
    }
    this.clock = options.shardClock ? `${options.shardClock.stride} ${options.shardClock.offset}` : '';
    this.newIdKey = options.newIdKey ?? GeneratedIds.newKey;
    this.topicIndex = new RedisTopicIndex(this.keys, () => this.link.client);
    this.ageSweep = new RedisAgeSweep(
      this.link,
      this.keys,
      this.policy,
      options.now ?? Date.now,
      () => this.closed,
    );
    this.sweep = setInterval(() => {
      this.ageSweep.sweepOnce().catch(() => {
        // Redis is down or busy; the next sweep tries again.
      });
    }, this.policy.sweepIntervalMs());
    this.sweep.unref();
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    return this.appendAbove(events, '');
  }

  /**
   * {@link append}, giving every new event a position above `floor` (a position of another
   * shard of a sharded history; `""` for none). Only a store with a `shardClock` honours it.
   */
  async appendAbove(events: readonly NewEvent[], floor: string): Promise<AppendResult[]> {
    this.assertOpen();
    if (events.length === 0) return [];
    const clock = this.clock === '' ? '' : `${this.clock} ${floor}`;
    const args = appendArgs(this.keys, this.policy, this.fanoutBacklog, events, clock, this.newIdKey());
    const consequence =
      events.length === 1 ? 'the event was not stored' : `the ${events.length} events were not stored`;
    this.link.assertUp(consequence);
    const sent = this.link.ready;
    let reply: unknown;
    try {
      if (this.replicas === 0) {
        reply = await this.appendScript.run(this.link.client, [this.keys.epoch], args);
      } else {
        const [r, acked] = await this.appendScript.runThenWait(
          this.link.client,
          [this.keys.epoch],
          args,
          this.replicas,
          this.replicaTimeoutMs,
        );
        if (acked < this.replicas) {
          throw new HubError(
            503,
            'unavailable',
            `The Redis primary stored the ${events.length === 1 ? 'event' : `${events.length} events`}, but only ${acked} of the ${this.replicas} replicas required confirmed within ${this.replicaTimeoutMs} ms, so a failover could still lose ${events.length === 1 ? 'it' : 'them'}; publish again with the same "id" to be sure (check the replicas' health).`,
            undefined,
            { 'retry-after': '1' },
          );
        }
        reply = r;
      }
    } catch (err) {
      // A script sent on a live connection that then dropped may have run: say so, and how to
      // retry safely. One that waited for the first connection never ran.
      throw this.link.failure(
        err,
        sent && this.link.knownDown
          ? 'the publish may or may not have been stored (publish again with the same "id" to be sure)'
          : consequence,
      );
    }
    const [key, rows] = reply as AppendReply;
    const ids = codecOf(key);
    this.idKeys.learn(ids);
    return appendResults(ids, rows, events, this.fannedOut);
  }

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    this.assertOpen();
    this.link.assertUp('the stream cannot resume from history yet');
    try {
      if (hasGeneratedShape(lastEventId)) {
        // A generated id keeps its meaning after its event is evicted (readAfter then reports
        // the truncation); one that only an earlier key decodes belongs to a history Redis
        // lost, and everything held now is newer than it.
        const [key, last, epoch, recovered] = await this.link.client.mget(
          this.keys.idKey,
          this.keys.last,
          this.keys.epoch,
          this.keys.recovered,
        );
        this.idKeys.learn(codecOf(key));
        const pos = codecOf(key)?.decode(lastEventId);
        if (pos === undefined || (pos !== '0' && !pos.includes('-'))) {
          if (this.idKeys.ofLostHistory(lastEventId)) {
            return { kind: 'unknown', replayFrom: '0' };
          }
          return lostHistoryPoint(recovered, epoch);
        }
        if (pos === '0' || (last && comparePositions(pos, last) <= 0)) return { kind: 'found', pos };
        return { kind: 'unknown' };
      }
      if (lastEventId === '') return { kind: 'unknown' };
      // Looked up on the covered topics only: what other topics hold under this id changes
      // neither the answer nor the work done.
      await this.topicIndex.indexed();
      const topics = await this.topicIndex.covered(filter, '0-0');
      if (topics.length === 0) return { kind: 'unknown' };
      // A script per TOPICS_PER_SCRIPT topics, so a wide pattern never holds Redis for long.
      const events: StoredEvent[] = [];
      for (let i = 0; i < topics.length; i += TOPICS_PER_SCRIPT) {
        const [rows, key] = (await this.resolveScript.run(
          this.link.client,
          [this.keys.ids],
          [this.keys.base, lastEventId, MAX_ID_MATCHES, ...topics.slice(i, i + TOPICS_PER_SCRIPT)],
        )) as [Array<[string, string, Fields]>, string];
        events.push(...entriesToEvents(codecOf(key), rows));
      }
      if (events.length === 0) {
        const [epoch, recovered] = await this.link.client.mget(this.keys.epoch, this.keys.recovered);
        return lostHistoryPoint(recovered, epoch);
      }
      events.sort((a, b) => comparePositions(a.pos, b.pos));
      return { kind: 'matches', events: events.slice(0, MAX_ID_MATCHES) };
    } catch (err) {
      throw this.link.failure(err, 'the stream cannot resume from history yet');
    }
  }

  async readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    this.assertOpen();
    const from = after === '0' ? '0-0' : after;
    if (!isPosition(from) || from.split('-').length !== 2) {
      throw new RangeError(`Position "${after}" is not a position of this Redis store ("<ms>-<seq>").`);
    }
    this.link.assertUp('history cannot be read');
    try {
      await this.topicIndex.indexed();
      const [[, last], [, prunedFlat]] = (await this.link.client
        .multi()
        .get(this.keys.last)
        .hgetall(this.keys.pruned)
        .exec()) as [[unknown, string | null], [unknown, Record<string, string>]];
      // Nothing follows the head and no watermark lies beyond it: a fresh stream's read is free.
      if (!last || comparePositions(from, last) >= 0) return { events: [], truncated: false };
      const pruned = new PrunedTopics(this.policy);
      pruned.load(Object.entries(prunedFlat).map(([age, pos]) => [Number(age), pos] as const));
      let truncated = pruned.mayHaveLost(filter, from);
      const topics = await this.topicIndex.covered(filter, from);
      let events: StoredEvent[] = [];
      for (let i = 0; i < topics.length; i += TOPICS_PER_SCRIPT) {
        const [t, rows, key] = (await this.readScript.run(
          this.link.client,
          [this.keys.topics],
          [this.keys.base, from, limit, ...topics.slice(i, i + TOPICS_PER_SCRIPT)],
        )) as [number, Array<[string, string, Fields]>, string];
        if (t === 1) truncated = true;
        events.push(...entriesToEvents(codecOf(key), rows));
      }
      if (topics.length > TOPICS_PER_SCRIPT) {
        // Each script returned its own first `limit`; the page is the first `limit` of them all.
        events.sort((a, b) => comparePositions(a.pos, b.pos));
        events = events.slice(0, limit);
      }
      return { events, truncated };
    } catch (err) {
      throw this.link.failure(err, 'history cannot be read');
    }
  }

  /** Number of topics with history: topics that age retention emptied are deleted. */
  async countTopics(): Promise<number> {
    this.assertOpen();
    return this.link.client.zcard(this.keys.topics);
  }

  async head(): Promise<string> {
    this.assertOpen();
    this.link.assertUp('the stream has no position to start from');
    try {
      // Also learns (creating it if need be) the id key, which idAt needs right after.
      const [, last, , key] = (await this.epochScript.run(
        this.link.client,
        [this.keys.epoch],
        [this.keys.base, newEpoch(), this.newIdKey()],
      )) as [string, string, string, string];
      this.idKeys.learn(codecOf(key));
      return last === '0-0' ? '0' : last;
    } catch (err) {
      throw this.link.failure(err, 'the stream has no position to start from');
    }
  }

  /**
   * A resume id of a position, with the id key this store last saw (the hub calls `head()` just
   * before). Should Redis have lost its data in between, the id resolves as unknown and the
   * client gets `reset`, never a silent gap.
   */
  idAt(pos: string): string {
    return (this.idKeys.current ?? orphanIds).resumeId(pos === '0-0' ? '0' : pos);
  }

  /** The codec of the id key this store last saw in Redis. */
  get generatedIds(): GeneratedIds | undefined {
    return this.idKeys.current;
  }

  async prune(): Promise<void> {
    this.assertOpen();
    this.link.assertUp('old events cannot be pruned');
    try {
      await this.ageSweep.pruneByAge();
    } catch (err) {
      throw this.link.failure(err, 'old events cannot be pruned');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    if (this.ownsLink) await this.link.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError(503, 'unavailable', 'The history store is closed.');
  }
}

/**
 * Creates a Redis history store on its own connection.
 * @see RedisStore
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
