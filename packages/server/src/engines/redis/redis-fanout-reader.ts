import { comparePositions } from '@tidings/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';
import type { EventMeta, StoredEvent } from '../../core/stored-event.js';
import type { ControlMessage } from '../broker.js';
import { GeneratedIds } from '../generated-ids.js';
import { newEpoch } from '../retention.js';
import { codecOf } from './codec-of.js';
import type { RedisKeys } from './keys.js';
import { EPOCH } from './lua-fanout.js';
import { LuaScript } from './lua-script.js';
import type { RedisLink } from './redis-link.js';

/** Milliseconds one blocking read waits before asking again. */
const BLOCK_MS = 5000;
/** Entries read per stream per round trip. */
const READ_COUNT = 1000;
/** Margin for the first read position: covers the time between construction and the first read. */
const START_MARGIN_MS = 1000;
/**
 * How long after Redis lost its data an unknown supplied id still counts as one of the lost
 * history (its resume gets `reset` plus the whole new history): ample for the streams this
 * node closes on noticing the loss to come back. Generated ids carry their epoch and need no window.
 */
export const RECOVERY_WINDOW_MS = 10 * 60_000;

type Entry = [id: string, fields: string[]];
type XReadReply = Array<[key: string, entries: Entry[]]> | null;

function toMap(flat: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as string, flat[i + 1] as string);
  return m;
}

/** Where the read loop hands what it read. */
export interface FanoutSink {
  /** Events read from the fan-out stream, in position order. */
  deliver(events: StoredEvent[]): void;
  /** A control message read from the control stream. */
  control(message: ControlMessage): void;
  /** This node may have missed events or control messages. */
  gap(): void;
}

/**
 * The read loop of a {@link RedisBroker}: one blocking `XREAD` on its own connection over the
 * `fanout` and `control` streams, continuing after a dropped connection exactly where it stopped,
 * and reporting a gap when the streams were trimmed past what it read or Redis lost its data.
 */
export class FanoutReader {
  /** The connection that blocks in XREAD. */
  readonly connection: Redis;
  private readonly epochScript = new LuaScript(EPOCH);
  private epoch: string | undefined;
  /** Turns positions of the history's own events into their ids (the fan-out carries supplied ids only). */
  private ids: GeneratedIds | undefined;
  private cursor: string | undefined;
  private controlCursor: string | undefined;
  private needHello = true;
  private closed = false;
  private readonly loop: Promise<void>;
  private readyWaiters: Array<() => void> = [];
  private outageLogged = false;

  /** @param createdAt when the broker was created (`performance.now()`): reading starts from then. */
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly fanoutBacklog: number,
    private readonly log: Logger,
    private readonly sink: FanoutSink,
    private readonly createdAt: number,
  ) {
    this.connection = link.duplicate({
      connectionName: 'tidings-reader',
      // A blocking read has no command timeout. On a dropped connection the read in flight must
      // fail (never be resent, never silently dropped) so the loop re-checks the epoch first.
      maxRetriesPerRequest: 0,
      commandTimeout: undefined,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: false,
      lazyConnect: false,
    });
    this.connection.on('error', () => {
      // Reported through the loop and the link; ioredis reconnects by itself.
    });
    this.connection.on('ready', () => {
      this.needHello = true;
    });
    this.loop = this.run();
  }

  /** Resolves once this node reads the fan-out stream (events published from now on reach it). */
  ready(): Promise<void> {
    if (this.cursor !== undefined) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Whether the read loop is connected. */
  get reading(): boolean {
    return this.connection.status === 'ready' && this.cursor !== undefined;
  }

  /** Stops the loop and closes its connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.connection.disconnect();
    // The read in flight fails when the connection closes; do not wait on it for long if not.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.needHello || this.cursor === undefined) {
          this.needHello = false;
          await this.hello();
        }
        const reply = (await this.connection.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.keys.fanout,
          this.keys.control,
          this.cursor as string,
          this.controlCursor as string,
        )) as XReadReply;
        if (this.outageLogged) {
          this.outageLogged = false;
          this.log.info({ redis: this.link.where }, 'reading events from Redis again');
        }
        if (reply) this.handle(reply);
      } catch (err) {
        if (this.closed) return;
        this.needHello = true;
        if (!this.outageLogged) {
          this.outageLogged = true;
          this.log.warn(
            { redis: this.link.where, err: (err as Error).message },
            'cannot read events from Redis; live delivery from other nodes pauses until it is back',
          );
        }
        await this.pause();
      }
    }
  }

  /** Waits for the reader to reconnect (or a short while, for errors Redis itself returned). */
  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.connection.off('ready', done);
        resolve();
      };
      const t = setTimeout(done, this.connection.status === 'ready' ? 200 : 2000);
      this.connection.once('ready', done);
    });
  }

  /**
   * Learns the epoch (and on the first call, where to start reading). A changed epoch means Redis
   * lost its data: whatever this node had not read yet is gone, so that is a gap.
   */
  private async hello(): Promise<void> {
    // Naming the epoch this node knew marks a changed one as a recovery (see RedisStore.resolve),
    // before this node closes its streams, so their resumes already find the mark.
    const [epoch, , nowMs, key] = (await this.epochScript.run(
      this.connection,
      [this.keys.epoch],
      [this.keys.base, newEpoch(), GeneratedIds.newKey(), this.epoch ?? '', RECOVERY_WINDOW_MS],
    )) as [string, string, string, string];
    this.ids = codecOf(key);
    if (this.cursor === undefined) {
      // Start from Redis' clock at the time this broker was created (less a margin), measured
      // with the local monotonic clock so skew between this host and Redis does not matter:
      // every event published after construction is read, even before the first read started.
      const elapsed = performance.now() - this.createdAt;
      const start = Math.max(0, Math.floor(Number(nowMs) - elapsed - START_MARGIN_MS));
      this.cursor = `${start}-0`;
      this.controlCursor = `${start}-0`;
      this.epoch = epoch;
      for (const r of this.readyWaiters.splice(0)) r();
      return;
    }
    if (epoch !== this.epoch) this.epochChanged(epoch);
  }

  private epochChanged(epoch: string): void {
    this.log.warn(
      { redis: this.link.where, was: this.epoch, now: epoch },
      'Redis lost its data (new history epoch); streams on this node resume and get reset',
    );
    this.epoch = epoch;
    // The new history has a new id key: learn it before reading any of its events.
    this.needHello = true;
    // The new history starts from scratch: read all of it. Streams on this node are closed
    // (gap) and resume: an id of the lost history resolves to `reset` plus the whole new
    // history, so every event appended since the loss reaches them, whether this node has
    // read it yet or not.
    this.cursor = '0-0';
    this.controlCursor = '0-0';
    this.sink.gap();
  }

  private handle(reply: NonNullable<XReadReply>): void {
    for (const [key, entries] of reply) {
      if (key === this.keys.control) {
        for (const [id, fields] of entries) {
          const f = toMap(fields);
          if (comparePositions(f.get('p') ?? '0-0', this.controlCursor as string) > 0) {
            // Trimmed before this node read them (a forced logout, say): make every stream
            // reconnect, so each is authorized again against the shared revocations.
            this.log.warn(
              { redis: this.link.where, readThrough: this.controlCursor, next: id },
              'this node missed control messages; its streams reconnect',
            );
            this.sink.gap();
          }
          this.controlCursor = id;
          const c = f.get('c');
          if (c === undefined) continue;
          let msg: ControlMessage;
          try {
            msg = JSON.parse(c) as ControlMessage;
          } catch {
            continue;
          }
          this.sink.control(msg);
        }
        continue;
      }
      let batch: StoredEvent[] = [];
      for (const [id, fields] of entries) {
        const f = toMap(fields);
        const epoch = f.get('e');
        const prev = f.get('p') ?? '0-0';
        if (epoch !== undefined && epoch !== this.epoch) {
          // Redis lost its data without dropping this connection (FLUSHALL, eviction): drop the
          // rest of this reply; the next round learns the new epoch through hello(), which marks
          // the recovery, and reads the new history from its start.
          this.sink.deliver(batch);
          this.needHello = true;
          return;
        }
        if (comparePositions(prev, this.cursor as string) > 0) {
          this.sink.deliver(batch);
          batch = [];
          this.log.warn(
            { redis: this.link.where, readThrough: this.cursor, next: id, backlog: this.fanoutBacklog },
            'this node fell behind the fan-out backlog; its streams resume from history',
          );
          this.sink.gap();
        }
        this.cursor = id;
        const meta = f.get('m');
        let parsedMeta: EventMeta | undefined;
        try {
          parsedMeta = meta === undefined ? undefined : (JSON.parse(meta) as EventMeta);
        } catch {
          this.log.error({ entry: id }, 'skipped a fan-out entry whose meta is not JSON');
          continue;
        }
        batch.push({
          // An entry of the store's append names a supplied id only; one of `publish` always has one.
          // hello() learned the key before this read (a missing one throws, and the loop says hello again).
          id: f.get('i') ?? (this.ids as GeneratedIds).encode(id),
          pos: f.get('q') ?? id,
          topic: f.get('t') ?? '',
          type: f.get('y') ?? '',
          ts: Number(f.get('ts')),
          dataJson: f.get('d') ?? 'null',
          meta: parsedMeta,
        });
      }
      this.sink.deliver(batch);
    }
  }
}
