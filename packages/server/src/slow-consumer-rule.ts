/**
 * How many times `maxBufferBytes` a connection's queue may reach in a burst before it is cut at
 * once, whatever its drain rate: the bound, in bytes, on what one reader can make the hub hold.
 */
export const HARD_CAP_FACTOR = 4;

/**
 * A replay writes history only while the connection's queue is under this many bytes (or under
 * `maxBufferBytes`, when that is smaller), and waits for the socket to drain otherwise. It keeps
 * the socket busy (the kernel holds far more) while the hub holds at most this much plus one
 * event per replaying reader.
 */
export const REPLAY_HIGH_WATER = 64 * 1024;

/** The longest interval between two sweeps; shorter when the grace period is short. */
const MAX_SWEEP_MS = 1000;

/** What the rule watches and cuts: an SSE stream or a WebSocket connection. */
export interface Drainable {
  /** Bytes queued for the peer and not yet taken by the kernel. */
  readonly bufferedBytes: number;
  isClosed(): boolean;
  close(reason: 'slow-consumer'): void;
}

/** A watched queue: the lowest size the sweep saw, and since when it has not gone lower. */
interface Watch {
  low: number;
  since: number;
}

/** The numbers of the rule (see {@link SlowConsumerRule}). */
export interface SlowConsumerLimits {
  /** `maxBufferBytes`: a queue above it must keep draining. */
  readonly maxBufferBytes: number;
  /** How long a queue may go without draining before its connection is cut. */
  readonly graceMs: number;
}

/**
 * The slow-consumer rule, once for every transport (SSE, Mercure, WebSocket). It judges how a
 * reader drains over time, not the size of one burst:
 *
 * - **Hard cap.** A live write that leaves more than {@link HARD_CAP_FACTOR} × `maxBufferBytes`
 *   queued cuts the connection at once: memory stays bounded in bytes whatever the drain rate.
 * - **Drain over time.** A queue above `maxBufferBytes` is watched. It must shrink to a new
 *   lowest size at least once every `graceMs`; a queue that sat above the limit for `graceMs`
 *   without getting smaller (a reader that stopped, or one that falls behind the publishers) is
 *   cut. A burst that the reader works through, however large up to the hard cap, is not.
 * - **Replay.** A replay writes only while the queue is under its high-water mark
 *   ({@link REPLAY_HIGH_WATER}) and waits for the socket otherwise, so replayed bytes are never
 *   judged against the limit. A replay waiting for a socket that takes nothing for `graceMs` is
 *   cut by the same judgement.
 *
 * One hub-wide sweep runs, only while some queue is watched, every `graceMs / 4` (at most every
 * second): no timer per connection, and the hot path pays one comparison per write.
 */
export class SlowConsumerRule {
  /** Live writes past this queue size put the connection under watch. */
  readonly limit: number;
  /** Live writes past this queue size cut the connection at once. */
  readonly hardCap: number;
  readonly graceMs: number;
  /** A replay waits for the socket when the queue reaches this many bytes. */
  readonly replayHighWater: number;
  private readonly sweepMs: number;
  /** Connections whose queue was seen above the limit. */
  private readonly over = new Map<Drainable, Watch>();
  /** Connections whose replay waits for the socket. */
  private readonly stalled = new Map<Drainable, Watch>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(limits: SlowConsumerLimits) {
    this.limit = limits.maxBufferBytes;
    this.hardCap = HARD_CAP_FACTOR * limits.maxBufferBytes;
    this.graceMs = limits.graceMs;
    this.replayHighWater = Math.min(REPLAY_HIGH_WATER, limits.maxBufferBytes);
    this.sweepMs = Math.max(10, Math.min(MAX_SWEEP_MS, Math.floor(limits.graceMs / 4)));
  }

  /**
   * A live write left `bytes` (more than {@link limit}) queued on `conn`: cuts it past the hard
   * cap, else watches it. Call only when `bytes > limit`, so the common case costs nothing.
   */
  overLimit(conn: Drainable, bytes: number): void {
    if (bytes > this.hardCap) {
      this.over.delete(conn);
      conn.close('slow-consumer');
      return;
    }
    if (!this.over.has(conn)) this.watch(this.over, conn);
  }

  /**
   * Waits for `drained`, the replay of `conn` being paused on a full queue; the connection is cut
   * if its queue does not shrink for `graceMs` meanwhile.
   */
  async replayPaused(conn: Drainable, drained: Promise<void>): Promise<void> {
    this.watch(this.stalled, conn);
    try {
      await drained;
    } finally {
      this.stalled.delete(conn);
    }
  }

  /** How many connections are being watched (tests, stats). */
  get watched(): number {
    return this.over.size + this.stalled.size;
  }

  /** Stops the sweep (the hub is closing). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.over.clear();
    this.stalled.clear();
  }

  private watch(map: Map<Drainable, Watch>, conn: Drainable): void {
    // The first sweep records the size to beat: a burst still arriving at this moment is not
    // held against the reader.
    map.set(conn, { low: Number.POSITIVE_INFINITY, since: performance.now() });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
  }

  private sweep(): void {
    const now = performance.now();
    this.judge(this.over, now, this.limit);
    this.judge(this.stalled, now, -1);
    if (this.over.size === 0 && this.stalled.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Ends watches of closed connections and of queues back at or under `floor`; cuts the stuck. */
  private judge(map: Map<Drainable, Watch>, now: number, floor: number): void {
    for (const [conn, w] of map) {
      if (conn.isClosed()) {
        map.delete(conn);
        continue;
      }
      const bytes = conn.bufferedBytes;
      if (bytes <= floor) {
        map.delete(conn);
      } else if (bytes < w.low) {
        w.low = bytes;
        w.since = now;
      } else if (now - w.since >= this.graceMs) {
        map.delete(conn);
        conn.close('slow-consumer');
      }
    }
  }
}
