import { comparePositions } from '@tidings/protocol';
import type { Redis } from 'ioredis';
import { HubError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { EventMeta, StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import { GeneratedIds } from '../generated-ids.js';
import { newEpoch } from '../retention.js';
import { codecOf } from './codec-of.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { CONTROL, EPOCH, FANOUT, LuaScript } from './lua.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions extends RedisLinkOptions {
  /** Redis URL, or an ioredis client to copy the connection settings of (see {@link RedisTarget}). */
  redis: RedisTarget;
  /** Namespace of every key; all nodes of one hub use the same. @defaultValue "tidings" */
  keyPrefix?: string | undefined;
  /**
   * Length of the fan-out stream. A node that cannot read it for longer than this many events
   * reports a gap, and the hub makes its streams resume from history.
   * @defaultValue 10000
   */
  fanoutBacklog?: number | undefined;
  /**
   * Control messages kept for nodes that briefly lose their connection.
   * @defaultValue 1000
   */
  controlBacklog?: number | undefined;
}

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

/**
 * Carries events and control messages between hub nodes through two Redis streams.
 *
 * Every node runs one blocking `XREAD` loop on its own connection over the `fanout` stream (every
 * new event, in position order: the history store's append script adds it in the same atomic
 * step, so per-topic order is the same on every node) and the `control` stream. The loop
 * remembers the last entry it read, so after a dropped connection it continues exactly where it
 * stopped and a short outage costs no event. Each fan-out entry names the position before it;
 * when the stream was trimmed past what this node read (it was cut off for longer than
 * `fanoutBacklog` events), or Redis lost its data (the epoch changed), the broker calls its gap
 * listeners: the hub then makes every stream resume from history, so nothing is missed silently.
 *
 * Used on its own (with a store that is not Redis), `publish` adds the events to the fan-out
 * stream itself.
 *
 * @see redisEngine, which pairs it with {@link RedisStore}.
 */
export class RedisBroker implements Broker {
  readonly kind = 'redis';
  readonly keys: RedisKeys;
  readonly link: RedisLink;
  /** The connection that blocks in XREAD. */
  readonly reader: Redis;
  private readonly log: Logger;
  private readonly fanoutBacklog: number;
  private readonly controlBacklog: number;
  private readonly fanoutScript = new LuaScript(FANOUT);
  private readonly epochScript = new LuaScript(EPOCH);
  private readonly controlScript = new LuaScript(CONTROL);
  private readonly createdAt = performance.now();
  private readonly ownsLink: boolean;
  private listeners: BrokerListener[] = [];
  private controlListeners: ControlListener[] = [];
  private gapListeners: Array<() => void> = [];
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

  /**
   * @param alreadyFannedOut events the history store put on the fan-out stream itself (the
   *   engine passes the set its store fills); `publish` skips them.
   */
  constructor(
    options: RedisBrokerOptions,
    link?: RedisLink,
    private readonly alreadyFannedOut?: WeakSet<StoredEvent>,
  ) {
    this.keys = redisKeys(options.keyPrefix ?? 'tidings');
    this.log = options.logger ?? silentLogger;
    this.ownsLink = !link;
    this.link = link ?? new RedisLink(options.redis, options, 'tidings-broker');
    this.fanoutBacklog = options.fanoutBacklog ?? 10_000;
    this.controlBacklog = options.controlBacklog ?? 1000;
    this.reader = this.link.client.duplicate({
      connectionName: 'tidings-reader',
      // A blocking read has no command timeout. On a dropped connection the read in flight must
      // fail (never be resent, never silently dropped) so the loop re-checks the epoch first.
      maxRetriesPerRequest: 0,
      commandTimeout: undefined,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: false,
      lazyConnect: false,
    });
    this.reader.on('error', () => {
      // Reported through the loop and the link; ioredis reconnects by itself.
    });
    this.reader.on('ready', () => {
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
    return this.reader.status === 'ready' && this.cursor !== undefined;
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    const todo = this.alreadyFannedOut ? events.filter((e) => !this.alreadyFannedOut?.has(e)) : events;
    if (todo.length === 0 || this.closed) return;
    const args: (string | number)[] = [this.keys.base, newEpoch(), this.fanoutBacklog];
    for (const e of todo) {
      args.push(
        e.pos,
        e.id,
        e.topic,
        e.type,
        e.ts,
        e.dataJson,
        e.meta === undefined ? '' : JSON.stringify(e.meta),
      );
    }
    this.link.assertUp('the events cannot reach the other nodes');
    try {
      await this.fanoutScript.run(this.link.client, [this.keys.epoch], args);
    } catch (err) {
      throw this.link.failure(err, 'the events cannot reach the other nodes');
    }
  }

  subscribe(listener: BrokerListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  async sendControl(message: ControlMessage): Promise<void> {
    if (this.closed) throw new HubError(503, 'unavailable', 'The broker is closed.');
    this.link.assertUp('the message cannot reach the other nodes');
    try {
      await this.controlScript.run(
        this.link.client,
        [this.keys.control],
        [this.keys.base, this.controlBacklog, JSON.stringify(message)],
      );
    } catch (err) {
      throw this.link.failure(err, 'the message cannot reach the other nodes');
    }
  }

  onControl(listener: ControlListener): () => void {
    this.controlListeners = [...this.controlListeners, listener];
    return () => {
      this.controlListeners = this.controlListeners.filter((l) => l !== listener);
    };
  }

  /** Adds a listener called when this node may have missed events (see the class description). */
  onGap(listener: () => void): () => void {
    this.gapListeners = [...this.gapListeners, listener];
    return () => {
      this.gapListeners = this.gapListeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners = [];
    this.controlListeners = [];
    this.gapListeners = [];
    this.reader.disconnect();
    // The read in flight fails when the connection closes; do not wait on it for long if not.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000).unref())]);
    if (this.ownsLink) await this.link.close();
  }

  // ---- the read loop ----------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.needHello || this.cursor === undefined) {
          this.needHello = false;
          await this.hello();
        }
        const reply = (await this.reader.xread(
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
        this.reader.off('ready', done);
        resolve();
      };
      const t = setTimeout(done, this.reader.status === 'ready' ? 200 : 2000);
      this.reader.once('ready', done);
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
      this.reader,
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
    this.gap();
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
            this.gap();
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
          for (const l of this.controlListeners) this.call(() => l(msg));
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
          this.deliver(batch);
          this.needHello = true;
          return;
        }
        if (comparePositions(prev, this.cursor as string) > 0) {
          this.deliver(batch);
          batch = [];
          this.log.warn(
            { redis: this.link.where, readThrough: this.cursor, next: id, backlog: this.fanoutBacklog },
            'this node fell behind the fan-out backlog; its streams resume from history',
          );
          this.gap();
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
      this.deliver(batch);
    }
  }

  private deliver(events: StoredEvent[]): void {
    if (events.length === 0) return;
    for (const l of this.listeners) this.call(() => l(events));
  }

  private gap(): void {
    for (const l of this.gapListeners) this.call(l);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'a broker listener threw');
    }
  }
}

/**
 * Creates a Redis broker on its own connections.
 * @see RedisBroker
 */
export function redisBroker(options: RedisBrokerOptions): RedisBroker {
  return new RedisBroker(options);
}
