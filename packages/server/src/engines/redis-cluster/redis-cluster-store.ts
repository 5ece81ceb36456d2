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
import { codecOf } from '../redis/codec-of.js';
import { EPOCH } from '../redis/lua-fanout.js';
import { LuaScript } from '../redis/lua-script.js';
import { orphanIds } from '../redis/redis-entries.js';
import type { RedisLink } from '../redis/redis-link.js';
import { RedisStore } from '../redis/redis-store.js';
import { newEpoch } from '../retention.js';
import { maxPos, shardClock } from './shard-clock.js';
import type { ShardMap } from './shard-map.js';

/** Options of {@link RedisClusterStore}. */
export interface RedisClusterStoreOptions {
  /** Per-topic retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /** Length of each shard's fan-out stream. @defaultValue 10000 */
  fanoutBacklog?: number | undefined;
  /** Replicas that must hold an append before it is acknowledged (`WAIT`). @defaultValue 0 */
  replicas?: number | undefined;
  /** How long an append waits for them. @defaultValue 1000 */
  replicaTimeoutMs?: number | undefined;
  /** Clock in epoch ms for age retention, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/**
 * History on a Redis Cluster: the topics are spread over the shards of a {@link ShardMap}, each a
 * {@link RedisStore} in its own hash slot, so appends to topics of different shards run on
 * different primaries in parallel.
 *
 * **One order.** Positions stay `<ms>-<seq>` and compare across shards: shard `i` of `n` uses the
 * sequence numbers congruent to `i` modulo `n`, so no two shards hand out the same position, and
 * every append passes the highest position this node has seen as a floor, so positions rise
 * across shards like a hybrid logical clock. A batch whose events fall in several shards is
 * appended shard run by shard run, each above the previous one: positions increase in argument
 * order, and each run is atomic (the batch as a whole is not, if a primary fails midway).
 *
 * **Consistent multi-shard reads.** A read over topics of several shards first takes a
 * watermark: the newest position `H` of those shards, with every shard's floor raised to `H` (so
 * any event appended later gets a position above `H`); the page holds only events up to `H`.
 * Whatever comes later reaches the stream live, in position order (see
 * {@link RedisClusterBroker}), so a resume never skips an event of a slower shard. A read of
 * topics of one shard is that shard's own consistent snapshot.
 *
 * Generated ids are encrypted with one key shared by every shard (created in shard 0 and copied
 * to the others), so any node resolves any id to its position.
 */
export class RedisClusterStore implements HistoryStore {
  readonly kind = 'redis-cluster';
  /** The store of each shard. */
  readonly shards: readonly RedisStore[];
  private readonly epochScript = new LuaScript(EPOCH);
  /** The highest position this node has handed out or seen: the floor of its next append. */
  private highest = '0-0';
  private sharedKey: string | undefined;
  private keyLoading: Promise<string> | undefined;
  private closed = false;

  constructor(
    readonly map: ShardMap,
    readonly link: RedisLink,
    options: RedisClusterStoreOptions = {},
    fannedOut?: WeakSet<StoredEvent>,
  ) {
    this.shards = map.shards.map(
      (keys, offset) =>
        new RedisStore(
          {
            redis: 'redis://unused',
            keyPrefix: keys.base.slice(1, -2),
            retention: options.retention,
            fanoutBacklog: options.fanoutBacklog,
            replicas: options.replicas,
            replicaTimeoutMs: options.replicaTimeoutMs,
            now: options.now,
            shardClock: { stride: map.count, offset },
            newIdKey: () => this.sharedKey ?? GeneratedIds.newKey(),
          },
          link,
          fannedOut,
        ),
    );
  }

  /** The id key every shard shares, created in shard 0 on first use. */
  idKey(): Promise<string> {
    if (this.sharedKey) return Promise.resolve(this.sharedKey);
    this.link.assertUp('the history cannot be used yet');
    this.keyLoading ??= (async () => {
      const k = this.map.shards[0] as (typeof this.map.shards)[number];
      const [, , , key] = (await this.epochScript.run(
        this.link.client,
        [k.epoch],
        [k.base, newEpoch(), GeneratedIds.newKey()],
      )) as [string, string, string, string];
      this.sharedKey = key;
      return key;
    })().catch((e: unknown) => {
      this.keyLoading = undefined;
      throw this.link.failure(e, 'the history cannot be used yet');
    });
    return this.keyLoading;
  }

  /** Raises this node's floor to `pos` (a position its broker delivered, say). */
  saw(pos: string): void {
    if (comparePositions(pos, this.highest) > 0) this.highest = pos;
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    this.assertOpen();
    if (events.length === 0) return [];
    await this.idKey();
    // Consecutive events of one shard go in one atomic script; each run lands above the last.
    const results: AppendResult[] = [];
    let start = 0;
    while (start < events.length) {
      const shard = this.map.shardOf((events[start] as NewEvent).topic);
      let end = start + 1;
      while (end < events.length && this.map.shardOf((events[end] as NewEvent).topic) === shard) end++;
      const got = await (this.shards[shard] as RedisStore).appendAbove(
        events.slice(start, end),
        this.highest,
      );
      for (const r of got) this.saw(r.event.pos);
      results.push(...got);
      start = end;
    }
    return results;
  }

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    this.assertOpen();
    if (hasGeneratedShape(lastEventId)) {
      const pos = codecOf(await this.idKey())?.decode(lastEventId);
      if (pos !== undefined && (pos === '0' || pos.includes('-'))) {
        if (pos === '0' || comparePositions(pos, this.highest) <= 0) return { kind: 'found', pos };
        const head = await this.head();
        if (head !== '0' && comparePositions(pos, head) <= 0) return { kind: 'found', pos };
        return { kind: 'unknown' };
      }
    }
    // A supplied id (or an id only a lost key decodes): each shard looks at its own topics.
    const parts = this.split(filter);
    const points = await Promise.all(
      parts.map(([s, f]) => (this.shards[s] as RedisStore).resolve(lastEventId, f)),
    );
    const events: StoredEvent[] = [];
    let replayFrom: string | undefined;
    for (const p of points) {
      if (p.kind === 'found') return p;
      if (p.kind === 'matches') events.push(...p.events);
      else if (p.replayFrom !== undefined) replayFrom = p.replayFrom;
    }
    if (events.length > 0) {
      events.sort((a, b) => comparePositions(a.pos, b.pos));
      return { kind: 'matches', events: events.slice(0, MAX_ID_MATCHES) };
    }
    return replayFrom === undefined ? { kind: 'unknown' } : { kind: 'unknown', replayFrom };
  }

  async readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    this.assertOpen();
    const from = after === '0' ? '0-0' : after;
    if (!isPosition(from) || from.split('-').length !== 2) {
      throw new RangeError(`Position "${after}" is not a position of this Redis store ("<ms>-<seq>").`);
    }
    const parts = this.split(filter);
    if (parts.length === 0) return { events: [], truncated: false };
    if (parts.length === 1) {
      const [[s, f]] = parts as [[number, TopicFilter]];
      return (this.shards[s] as RedisStore).readAfter(from, f, limit);
    }
    const upTo = await this.watermark(parts.map(([s]) => s));
    const pages = await Promise.all(
      parts.map(([s, f]) => (this.shards[s] as RedisStore).readAfter(from, f, limit)),
    );
    const events = pages
      .flatMap((p) => p.events)
      .filter((e) => comparePositions(e.pos, upTo) <= 0)
      .sort((a, b) => comparePositions(a.pos, b.pos))
      .slice(0, limit);
    return { events, truncated: pages.some((p) => p.truncated) };
  }

  /**
   * The newest position of any shard, `H`, with the floor of every shard whose clock has not yet
   * passed it raised to it: every event appended from now on, on any shard, lands above `H`.
   */
  async head(): Promise<string> {
    this.assertOpen();
    await this.idKey();
    const h = await this.watermark(this.shards.map((_, i) => i));
    return h === '0-0' ? '0' : h;
  }

  idAt(pos: string): string {
    return (codecOf(this.sharedKey) ?? orphanIds).resumeId(pos === '0-0' ? '0' : pos);
  }

  /** The codec of the id key every shard shares. */
  get generatedIds(): GeneratedIds | undefined {
    return codecOf(this.sharedKey);
  }

  async prune(): Promise<void> {
    this.assertOpen();
    await Promise.all(this.shards.map((s) => s.prune()));
  }

  async countTopics(): Promise<number> {
    this.assertOpen();
    const n = await Promise.all(this.shards.map((s) => s.countTopics()));
    return n.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.shards.map((s) => s.close()));
  }

  /** The shards a filter touches, with the part of the filter each holds. */
  private split(filter: TopicFilter): Array<[number, TopicFilter]> {
    if (filter.patterns.length > 0) {
      // A pattern may match topics of any shard.
      return this.shards.map((_, s) => [
        s,
        { topics: filter.topics.filter((t) => this.map.shardOf(t) === s), patterns: filter.patterns },
      ]);
    }
    const by = new Map<number, string[]>();
    for (const t of filter.topics) {
      const s = this.map.shardOf(t);
      const list = by.get(s);
      if (list) list.push(t);
      else by.set(s, [t]);
    }
    return [...by].map(([s, topics]) => [s, { topics, patterns: [] }]);
  }

  /** See {@link head}, over some shards. */
  private async watermark(shards: readonly number[]): Promise<string> {
    this.link.assertUp('the history cannot be read');
    try {
      const times = await Promise.all(
        shards.map((s) => shardClock(this.link.client, this.map.shards[s] as never)),
      );
      let h = '0-0';
      for (const t of times) h = maxPos(h, t.last);
      const lagging = shards.filter(
        (_, i) => comparePositions((times[i] as { watermark: string }).watermark, h) < 0,
      );
      await Promise.all(
        lagging.map((s) => shardClock(this.link.client, this.map.shards[s] as never, h, true)),
      );
      this.saw(h);
      return h;
    } catch (err) {
      throw this.link.failure(err, 'the history cannot be read');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError(503, 'unavailable', 'The history store is closed.');
  }
}
