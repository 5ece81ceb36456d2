import { comparePositions, isPosition } from '@tidings/protocol';
import { HubError } from '../../core/errors.js';
import type { EventMeta, NewEvent, StoredEvent } from '../../core/stored-event.js';
import { GeneratedIds, generatedShapeMessage, hasGeneratedShape } from '../generated-ids.js';
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
import { APPEND, EPOCH, INDEX_TOPICS, LuaScript, PRUNE, READ, RESOLVE } from './lua.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';

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
}

type Fields = readonly string[];

/** Topics one read script covers, so no single script holds Redis for long. */
const TOPICS_PER_SCRIPT = 500;
/** Topic names fetched per page when listing topics. */
const PAGE = 5000;

function fieldsToMap(flat: Fields): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as string, flat[i + 1] as string);
  return m;
}

/**
 * Ids made without the history's key (before it was ever read): they resolve as unknown anywhere
 * (a `reset`, never a gap), and show nothing.
 */
const orphanIds = GeneratedIds.create();

/**
 * Turns stream entries of topics into StoredEvents: a supplied id is in the entry, a generated one
 * is made from the position with the history's id key (all of a page in one cipher call).
 */
export function entriesToEvents(
  ids: GeneratedIds | undefined,
  rows: ReadonlyArray<readonly [topic: string, pos: string, flat: Fields]>,
): StoredEvent[] {
  const maps = rows.map(([, , flat]) => fieldsToMap(flat));
  const missing = rows.filter((_, i) => !maps[i]?.has('i')).map(([, pos]) => pos);
  const generated = (ids ?? orphanIds).encodeAll(missing);
  let next = 0;
  return rows.map(([topic, pos], i): StoredEvent => {
    const f = maps[i] as Map<string, string>;
    const meta = f.get('m');
    return {
      id: f.get('i') ?? (generated[next++] as string),
      pos,
      topic,
      type: f.get('y') ?? '',
      ts: Number(f.get('ts')),
      dataJson: f.get('d') ?? 'null',
      meta: meta === undefined ? undefined : (JSON.parse(meta) as EventMeta),
    };
  });
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
  private readonly now: () => number;
  private readonly fanoutBacklog: number;
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly appendScript = new LuaScript(APPEND);
  private readonly epochScript = new LuaScript(EPOCH);
  /** The codec of the id key last seen in Redis, for idAt. */
  private ids: GeneratedIds | undefined;
  /**
   * Id keys of histories this store saw Redis lose (newest last, at most 4): an id one of them
   * decodes belongs to a lost history, so everything held now is newer than it.
   */
  private readonly earlierIds: GeneratedIds[] = [];
  private readonly readScript = new LuaScript(READ);
  private readonly resolveScript = new LuaScript(RESOLVE);
  private readonly pruneScript = new LuaScript(PRUNE);
  private readonly indexScript = new LuaScript(INDEX_TOPICS);
  /** Resolves once `recent` and `evicted-at` cover every topic (older data is indexed once). */
  private indexing: Promise<void> | undefined;
  private readonly lockToken = newEpoch() + newEpoch();
  private readonly ownsLink: boolean;
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
    this.now = options.now ?? Date.now;
    this.fanoutBacklog = options.fanoutBacklog ?? 10_000;
    if (!Number.isInteger(this.fanoutBacklog) || this.fanoutBacklog < 1) {
      throw new RangeError(`fanoutBacklog must be a positive integer, not ${options.fanoutBacklog}.`);
    }
    this.sweep = setInterval(() => {
      this.sweepOnce().catch(() => {
        // Redis is down or busy; the next sweep tries again.
      });
    }, this.policy.sweepIntervalMs());
    this.sweep.unref();
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    this.assertOpen();
    if (events.length === 0) return [];
    const args: (string | number)[] = [this.keys.base, newEpoch(), this.fanoutBacklog, GeneratedIds.newKey()];
    for (const e of events) {
      if (e.id !== undefined && hasGeneratedShape(e.id)) {
        throw new HubError(400, 'invalid-event', generatedShapeMessage(e.id));
      }
      args.push(
        e.id ?? '',
        // The script splits lines of the id index at spaces and line breaks.
        e.id === undefined ? '' : encodeURIComponent(e.publisher ?? ''),
        e.topic,
        e.type,
        e.ts,
        e.dataJson,
        e.meta === undefined ? '' : JSON.stringify(e.meta),
        this.policy.for(e.topic).maxEvents,
      );
    }
    const consequence =
      events.length === 1 ? 'the event was not stored' : `the ${events.length} events were not stored`;
    this.link.assertUp(consequence);
    const sent = this.link.ready;
    let reply: unknown;
    try {
      reply = await this.appendScript.run(this.link.client, [this.keys.epoch], args);
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
    const [key, rows] = reply as [string, Array<[number, string, string, string?, Fields?]>];
    const ids = codecOf(key);
    this.learn(ids);
    const generated = (ids as GeneratedIds).encodeAll(
      rows.filter((r) => r[0] === 0 && r[2] === '').map((r) => r[1]),
    );
    let next = 0;
    return rows.map((row, i): AppendResult => {
      const [dup, pos, supplied] = row;
      if (dup === 1) {
        const [original] = entriesToEvents(ids, [[row[3] as string, pos, row[4] as Fields]]);
        return { event: original as StoredEvent, duplicate: true };
      }
      const e = events[i] as NewEvent;
      const event: StoredEvent = {
        id: supplied === '' ? (generated[next++] as string) : supplied,
        pos,
        topic: e.topic,
        type: e.type,
        ts: e.ts,
        dataJson: e.dataJson,
        meta: e.meta,
      };
      this.fannedOut?.add(event);
      return { event, duplicate: false };
    });
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
        this.learn(codecOf(key));
        const pos = codecOf(key)?.decode(lastEventId);
        if (pos === undefined || (pos !== '0' && !pos.includes('-'))) {
          if (this.earlierIds.some((c) => c.decode(lastEventId) !== undefined)) {
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
      await this.indexed();
      const topics = await this.coveredTopics(filter, '0-0');
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
      await this.indexed();
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
      const topics = await this.coveredTopics(filter, from);
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
        [this.keys.base, newEpoch(), GeneratedIds.newKey()],
      )) as [string, string, string, string];
      this.learn(codecOf(key));
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
    return (this.ids ?? orphanIds).resumeId(pos === '0-0' ? '0' : pos);
  }

  /** The codec of the id key this store last saw in Redis. */
  get generatedIds(): GeneratedIds | undefined {
    return this.ids;
  }

  async prune(): Promise<void> {
    this.assertOpen();
    this.link.assertUp('old events cannot be pruned');
    try {
      await this.pruneByAge();
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

  /** The timer's sweep: one node per interval does it, whichever takes the lock. */
  private async sweepOnce(): Promise<void> {
    if (this.closed || !this.link.ready) return;
    const got = await this.link.client.set(
      this.keys.pruneLock,
      this.lockToken,
      'PX',
      this.policy.sweepIntervalMs(),
      'NX',
    );
    if (got === 'OK') await this.pruneByAge();
  }

  private async pruneByAge(): Promise<void> {
    const now = this.now();
    const shortest = Math.min(...this.policy.ageLimits());
    // Topics whose oldest event is older than the shortest age limit; each then gets its own.
    const candidates: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.link.client.zrangebyscore(
        this.keys.ages,
        '-inf',
        `(${now - shortest}`,
        'LIMIT',
        offset,
        1000,
      );
      candidates.push(...page);
      if (page.length < 1000) break;
    }
    for (let i = 0; i < candidates.length; i += 200) {
      const args: (string | number)[] = [this.keys.base];
      for (const topic of candidates.slice(i, i + 200)) {
        const age = this.policy.for(topic).maxAgeMs;
        args.push(topic, now - age, age);
      }
      await this.pruneScript.run(this.link.client, [this.keys.ages], args);
    }
  }

  /**
   * Exact topics plus the stored topics a pattern matches that may hold events or losses after
   * `from`. Each pattern lists whichever is smaller: the topics under its literal prefix, or the
   * topics with an event or a watermark after `from` (counted first, in O(log n)).
   */
  private async coveredTopics(filter: TopicFilter, from: string): Promise<string[]> {
    const covered = new Set(filter.topics);
    if (filter.patterns.length === 0) return [...covered];
    const ms = from.slice(0, from.indexOf('-'));
    const c = this.link.client;
    const [[, recentCount], [, evictedCount]] = (await c
      .multi()
      .zcount(this.keys.recent, ms, '+inf')
      .zcount(this.keys.evictedAt, ms, '+inf')
      .exec()) as [[unknown, number], [unknown, number]];
    let since: string[] | undefined;
    for (const p of filter.patterns) {
      const lit: string[] = [];
      for (const s of p.segments) {
        if (s === '*' || s === '**') break;
        lit.push(s);
      }
      const prefix = lit.join('/');
      const under = prefix
        ? await c.zlexcount(this.keys.topics, `[${prefix}/`, `(${prefix}/\x7f`)
        : Number.POSITIVE_INFINITY;
      if (under <= recentCount + evictedCount) {
        // Topics are printable ASCII, so "\x7f" sorts after every topic under the prefix.
        for (let offset = 0; ; offset += PAGE) {
          const page = await c.zrangebylex(
            this.keys.topics,
            `[${prefix}/`,
            `(${prefix}/\x7f`,
            'LIMIT',
            offset,
            PAGE,
          );
          for (const t of page) if (p.matches(t)) covered.add(t);
          if (page.length < PAGE) break;
        }
        if (p.matches(prefix) && (await c.zscore(this.keys.topics, prefix)) !== null) covered.add(prefix);
      } else {
        since ??= [
          ...(await this.pagedByScore(this.keys.recent, ms)),
          ...(await this.pagedByScore(this.keys.evictedAt, ms)),
        ];
        for (const t of since) if (p.matches(t)) covered.add(t);
      }
    }
    return [...covered];
  }

  /** Takes `ids` as the current key, remembering the one it replaces (a history Redis lost). */
  private learn(ids: GeneratedIds | undefined): void {
    if (ids === undefined || ids === this.ids) return;
    if (this.ids !== undefined) {
      this.earlierIds.push(this.ids);
      if (this.earlierIds.length > 4) this.earlierIds.shift();
    }
    this.ids = ids;
  }

  private async pagedByScore(key: string, min: string): Promise<string[]> {
    const out: string[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.link.client.zrangebyscore(key, min, '+inf', 'LIMIT', offset, PAGE);
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  /** Indexes the topics of a history written before `recent` and `evicted-at` existed, once. */
  private indexed(): Promise<void> {
    this.indexing ??= (async () => {
      if ((await this.link.client.exists(this.keys.indexed)) === 1) return;
      for (let offset = 0; ; offset += 500) {
        const n = (await this.indexScript.run(
          this.link.client,
          [this.keys.topics],
          [this.keys.base, offset, 500],
        )) as number;
        if (n < 500) break;
      }
      await this.link.client.set(this.keys.indexed, '1');
    })().catch((e: unknown) => {
      this.indexing = undefined;
      throw e;
    });
    return this.indexing;
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

/**
 * An id this history cannot place. Shortly after a node saw Redis lose its data (the `recovered`
 * mark names the current epoch), it is taken for an id of the lost history: the streams closed
 * then are coming back, and every event held now is newer than what they saw.
 */
function lostHistoryPoint(
  recovered: string | null | undefined,
  epoch: string | null | undefined,
): ResumePoint {
  if (recovered && recovered === epoch) return { kind: 'unknown', replayFrom: '0' };
  return { kind: 'unknown' };
}
