import { comparePositions } from '@tidings/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';
import type { EventMeta, StoredEvent } from '../../core/stored-event.js';
import type { GeneratedIds } from '../generated-ids.js';
import { codecOf } from '../redis/codec-of.js';
import type { RedisKeys } from '../redis/keys.js';
import { EPOCH } from '../redis/lua-fanout.js';
import { LuaScript } from '../redis/lua-script.js';
import { RECOVERY_WINDOW_MS } from '../redis/redis-fanout-reader.js';
import type { RedisLink } from '../redis/redis-link.js';
import { newEpoch } from '../retention.js';
import { type FanoutEntry, maxPos, shardClock } from './shard-clock.js';
import type { ShardMap } from './shard-map.js';

/** Milliseconds one blocking read waits before asking again. */
const BLOCK_MS = 5000;
/** Entries read per round trip. */
const READ_COUNT = 1000;
/** Margin for the first read position: covers the time between construction and the first read. */
const START_MARGIN_MS = 1000;

function toMap(flat: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as string, flat[i + 1] as string);
  return m;
}

/** Where the merged feed hands what it read. */
export interface ClusterFanoutSink {
  /** Events of every shard, in position order. */
  deliver(events: StoredEvent[]): void;
  /** This node may have missed events, or got one out of order. */
  gap(): void;
}

/** One shard's fan-out stream as this node reads it. */
interface Feed {
  readonly index: number;
  readonly keys: RedisKeys;
  readonly conn: Redis;
  /** The last fan-out entry taken. */
  cursor: string | undefined;
  /** Everything of the shard up to here has been taken; later entries lie above it. */
  watermark: string;
  /** Taken, not yet delivered: held until every shard's watermark passes them. */
  queue: Array<{ fid: string; ev: StoredEvent }>;
  epoch: string | undefined;
  ids: GeneratedIds | undefined;
  needHello: boolean;
  ticking: boolean;
}

/**
 * Reads the fan-out stream of every shard of a Redis Cluster history and hands the events on in
 * one position order, the order a resume reads history in.
 *
 * Each shard's stream is read by a blocking `XREAD` on a connection of its own and is in position
 * order by itself; the merge holds an event until every shard's watermark has passed it. A
 * shard's watermark rises with each entry read from it and, for an idle shard, with a clock
 * request (the CLOCK script, run as soon as an event waits on the shard: it reads the shard's
 * new entries and its clock in one atomic step), so an event waits for other shards at most one
 * round trip, plus a millisecond when it was appended in the millisecond the other shard's clock
 * still shows.
 */
export class ClusterFanout {
  private readonly feeds: Feed[];
  private readonly epochScript = new LuaScript(EPOCH);
  private readonly loops: Promise<void>[];
  private readyWaiters: Array<() => void> = [];
  private closed = false;
  /** Everything up to here was delivered. */
  private delivered = '0-0';

  constructor(
    private readonly link: RedisLink,
    private readonly map: ShardMap,
    private readonly log: Logger,
    private readonly sink: ClusterFanoutSink,
    private readonly createdAt: number,
    private readonly idKey: () => Promise<string>,
  ) {
    this.feeds = map.shards.map((keys, index) => {
      const conn = link.duplicate({
        connectionName: 'tidings-reader',
        // A blocking read has no command timeout, and a read in flight when the connection drops
        // fails (never resent) so the loop says hello again first.
        maxRetriesPerRequest: 0,
        commandTimeout: undefined,
        enableOfflineQueue: true,
        autoResendUnfulfilledCommands: false,
        lazyConnect: false,
      });
      conn.on('error', () => {
        // Reported through the loop and the link; ioredis reconnects by itself.
      });
      return {
        index,
        keys,
        conn,
        cursor: undefined,
        watermark: '0-0',
        queue: [],
        epoch: undefined,
        ids: undefined,
        needHello: true,
        ticking: false,
      };
    });
    this.loops = this.feeds.map((f) => this.run(f));
  }

  /** Resolves once every shard's stream is read (events published from now on reach this node). */
  ready(): Promise<void> {
    if (this.feeds.every((f) => f.cursor !== undefined)) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Whether every shard's read loop is connected. */
  get reading(): boolean {
    return this.feeds.every((f) => f.conn.status === 'ready' && f.cursor !== undefined && !f.needHello);
  }

  /** Stops the loops and closes their connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.feeds) f.conn.disconnect();
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private async run(f: Feed): Promise<void> {
    let outage = false;
    while (!this.closed) {
      try {
        if (f.needHello || f.cursor === undefined) await this.hello(f);
        const reply = (await f.conn.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          f.keys.fanout,
          f.cursor as string,
        )) as Array<[string, FanoutEntry[]]> | null;
        if (outage) {
          outage = false;
          this.log.info(
            { redis: this.link.where, shard: f.index },
            'reading events from the Redis Cluster shard again',
          );
        }
        if (reply?.[0]) this.take(f, reply[0][1], undefined);
      } catch (err) {
        if (this.closed) return;
        f.needHello = true;
        if (!outage) {
          outage = true;
          this.log.warn(
            { redis: this.link.where, shard: f.index, err: (err as Error).message },
            'cannot read events from a Redis Cluster shard; live delivery pauses until it is back',
          );
        }
        await new Promise((r) => setTimeout(r, f.conn.status === 'ready' ? 200 : 1000));
      }
    }
  }

  /**
   * Learns the shard's epoch (and on the first call, where to start reading). A changed epoch
   * means the shard lost its data; a newest position below what this node read means a failover
   * lost the shard's last writes: both are gaps, and the floor is raised past what this node
   * delivered, so the shard's next positions still come after it.
   */
  private async hello(f: Feed): Promise<void> {
    const [epoch, last, nowMs, key] = (await this.epochScript.run(
      this.link.client,
      [f.keys.epoch],
      [f.keys.base, newEpoch(), await this.idKey(), f.epoch ?? '', RECOVERY_WINDOW_MS],
    )) as [string, string, string, string];
    f.ids = codecOf(key);
    if (f.cursor === undefined) {
      // Redis' clock when this broker was created (less a margin), measured with the local
      // monotonic clock so host/Redis skew does not matter.
      const elapsed = performance.now() - this.createdAt;
      const start = `${Math.max(0, Math.floor(Number(nowMs) - elapsed - START_MARGIN_MS))}-0`;
      f.cursor = start;
      f.watermark = start;
      f.epoch = epoch;
      f.needHello = false;
      if (this.feeds.every((x) => x.cursor !== undefined)) for (const r of this.readyWaiters.splice(0)) r();
      return;
    }
    if (epoch !== f.epoch) {
      this.log.warn(
        { redis: this.link.where, shard: f.index, was: f.epoch, now: epoch },
        'a Redis Cluster shard lost its data (new history epoch); streams on this node resume and get reset',
      );
      f.epoch = epoch;
      f.cursor = '0-0';
      this.sink.gap();
    } else if (comparePositions(last, f.cursor) < 0) {
      this.log.warn(
        { redis: this.link.where, shard: f.index, readThrough: f.cursor, newest: last },
        'a Redis Cluster shard lost writes this node had read (a failover with asynchronous replication); streams on this node resume from history',
      );
      await shardClock(this.link.client, f.keys, maxPos(this.delivered, f.cursor), true);
      f.cursor = last;
      this.sink.gap();
    }
    f.needHello = false;
    this.drain();
  }

  /** Takes entries of a shard (skipping those already taken), then delivers what is safe. */
  private take(f: Feed, entries: FanoutEntry[], watermark: string | undefined): void {
    let complete = true;
    for (const [id, fields] of entries) {
      if (comparePositions(id, f.cursor as string) <= 0) continue;
      const m = toMap(fields);
      const epoch = m.get('e');
      if (epoch !== undefined && epoch !== f.epoch) {
        // The shard lost its data without dropping this connection: hello() sorts it out.
        f.needHello = true;
        complete = false;
        break;
      }
      if (comparePositions(m.get('p') ?? '0-0', f.cursor as string) > 0) {
        this.log.warn(
          { redis: this.link.where, shard: f.index, readThrough: f.cursor, next: id },
          'this node fell behind a shard fan-out backlog; its streams resume from history',
        );
        this.sink.gap();
      }
      if (comparePositions(id, this.delivered) <= 0) {
        this.log.warn(
          { redis: this.link.where, shard: f.index, entry: id, delivered: this.delivered },
          'a Redis Cluster shard handed out a position below one already delivered (a failover reset its clock); streams on this node resume from history',
        );
        this.sink.gap();
      }
      f.cursor = id;
      const meta = m.get('m');
      let parsedMeta: EventMeta | undefined;
      try {
        parsedMeta = meta === undefined ? undefined : (JSON.parse(meta) as EventMeta);
      } catch {
        this.log.error({ entry: id }, 'skipped a fan-out entry whose meta is not JSON');
        continue;
      }
      f.queue.push({
        fid: id,
        ev: {
          id: m.get('i') ?? (f.ids as GeneratedIds).encode(id),
          pos: m.get('q') ?? id,
          topic: m.get('t') ?? '',
          type: m.get('y') ?? '',
          ts: Number(m.get('ts')),
          dataJson: m.get('d') ?? 'null',
          meta: parsedMeta,
        },
      });
    }
    f.watermark = maxPos(f.watermark, f.cursor as string);
    if (complete && watermark !== undefined) f.watermark = maxPos(f.watermark, watermark);
    this.drain();
  }

  /** Delivers every held event up to the lowest watermark, in position order; asks idle shards to catch up. */
  private drain(): void {
    let safe: string | undefined;
    for (const f of this.feeds)
      if (safe === undefined || comparePositions(f.watermark, safe) < 0) safe = f.watermark;
    const out: Array<{ fid: string; ev: StoredEvent }> = [];
    for (const f of this.feeds) {
      let n = 0;
      while (n < f.queue.length && comparePositions((f.queue[n] as { fid: string }).fid, safe as string) <= 0)
        n++;
      if (n > 0) out.push(...f.queue.splice(0, n));
    }
    if (out.length > 0) {
      out.sort((a, b) => comparePositions(a.fid, b.fid));
      this.delivered = maxPos(this.delivered, (out[out.length - 1] as { fid: string }).fid);
      this.sink.deliver(out.map((o) => o.ev));
    }
    let need: string | undefined;
    for (const f of this.feeds) {
      const head = f.queue[0]?.fid;
      if (head !== undefined && (need === undefined || comparePositions(head, need) < 0)) need = head;
    }
    if (need === undefined) return;
    for (const f of this.feeds) if (comparePositions(f.watermark, need) < 0) this.tick(f, need);
  }

  /** Asks a shard for its watermark (and entries after this node's cursor) on the command connection. */
  private tick(f: Feed, need: string): void {
    if (f.ticking || this.closed || f.cursor === undefined || f.needHello) return;
    f.ticking = true;
    shardClock(this.link.client, f.keys, need, false, f.cursor, READ_COUNT).then(
      (t) => {
        f.ticking = false;
        this.take(f, t.entries, t.watermark);
        // Appended in the millisecond the shard's clock still shows: ask again in a moment.
        if (comparePositions(f.watermark, need) < 0 && !this.closed) {
          setTimeout(() => this.drain(), 1);
        }
      },
      () => {
        // The shard is unreachable: its read loop reports it and says hello when it is back.
        f.ticking = false;
        if (!this.closed) setTimeout(() => this.drain(), 200);
      },
    );
  }
}
