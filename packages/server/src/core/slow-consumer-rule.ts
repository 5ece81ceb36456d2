/**
 * The hard cap of a connection's queue, in multiples of `maxBufferBytes`: a queue still past it
 * 20 ms after a write took it there is cut, whatever the reader's drain rate. The bound, in
 * bytes, on what one reader can make the hub hold.
 * @see docs/security.md, "Slow consumers"
 */
export const HARD_CAP_FACTOR = 4;

/**
 * A replay writes history only while the connection's queue is under this many bytes (or under
 * `maxBufferBytes`, when that is smaller), and waits for the socket to drain otherwise. It keeps
 * the socket busy (the kernel holds far more) while the hub holds at most this much plus one
 * event per replaying reader.
 * @see docs/security.md, "Slow consumers"
 */
export const REPLAY_HIGH_WATER = 64 * 1024;

/**
 * How long after a write past the hard cap the connection's queue is judged: long enough for
 * the sinks to hand that turn's frames to the kernel (a turn, or a flush window of a few ms under
 * load), short enough that memory stays bounded by the hard cap plus what one publisher burst adds.
 */
const CAP_CHECK_MS = 20;

/** The longest interval between two sweeps; shorter when the grace period is short. */
const MAX_SWEEP_MS = 1000;

/** What the rule watches and cuts: an SSE stream or a WebSocket connection. */
export interface Drainable {
  /** Bytes queued for the peer and not yet taken by the kernel. */
  readonly bufferedBytes: number;
  /** A counter of the bytes the peer's kernel took so far (see `StreamSink.sentBytes`). */
  readonly sentBytes: number;
  isClosed(): boolean;
  close(reason: 'slow-consumer'): void;
}

/** A watched queue: what its reader had taken at its last progress, and when that was. */
interface Watch {
  sent: number;
  since: number;
}

/** The numbers of the rule (see {@link SlowConsumerRule}). */
export interface SlowConsumerLimits {
  /** `maxBufferBytes`: a queue above it must keep draining. */
  readonly maxBufferBytes: number;
  /** How long a reader whose queue is above the limit may take nothing before it is cut. */
  readonly graceMs: number;
}

/**
 * The slow-consumer rule, once for every transport (SSE, Mercure, WebSocket). It judges how a
 * reader drains over time, not the size of one burst:
 *
 * - **Hard cap.** A connection whose queue is still above {@link HARD_CAP_FACTOR} ×
 *   `maxBufferBytes` 20 ms after a write took it there is cut: memory stays bounded in bytes
 *   whatever the drain rate. The delay lets the turn's frames reach the socket first, so a burst
 *   of publishes (frames shared by every subscriber) counts only for what the kernel refuses.
 * - **Drain over time.** A queue above `maxBufferBytes` is watched: its reader must take bytes
 *   (its kernel must accept more of the queue) at least once every `graceMs`, or the
 *   connection is cut. A burst that the reader works through, however large up to the hard
 *   cap, is not; a reader that stopped is cut one grace period after its queue passed the
 *   limit; a reader that falls behind the publishers for good reaches the hard cap.
 * - **Replay.** A replay writes only while the queue is under its high-water mark
 *   ({@link REPLAY_HIGH_WATER}) and waits for the socket otherwise, so replayed bytes are never
 *   judged: a reader finishes a resume at whatever pace it reads, and the hub holds a bounded
 *   amount for it meanwhile (see `catchUp`). The kernel reports a full socket writable again
 *   only once a good part of its buffer drained, so a queue's progress is seen in steps of up to
 *   about a megabyte on a fast link: too coarse to judge a replay's pace by.
 *
 * One hub-wide sweep runs, only while some queue is watched, every `graceMs / 4` (at most every
 * second): no timer per connection, and the hot path pays one comparison per write.
 */
export class SlowConsumerRule {
  /** Live writes past this queue size put the connection under watch. */
  readonly limit: number;
  /** A queue still past this size shortly after a live write took it there cuts the connection. */
  readonly hardCap: number;
  /** How long a watched queue's reader may take nothing. */
  readonly graceMs: number;
  /** A replay waits for the socket when the queue reaches this many bytes. */
  readonly replayHighWater: number;
  private readonly sweepMs: number;
  /** Connections whose queue was seen above the limit. */
  private readonly over = new Map<Drainable, Watch>();
  /** Connections seen past the hard cap by a write, to check once their sockets had the bytes. */
  private readonly capped = new Set<Drainable>();
  private capCheckScheduled = false;
  private lastSweep = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(limits: SlowConsumerLimits) {
    this.limit = limits.maxBufferBytes;
    this.hardCap = HARD_CAP_FACTOR * limits.maxBufferBytes;
    this.graceMs = limits.graceMs;
    this.replayHighWater = Math.min(REPLAY_HIGH_WATER, limits.maxBufferBytes);
    this.sweepMs = Math.max(10, Math.min(MAX_SWEEP_MS, Math.floor(limits.graceMs / 4)));
  }

  /**
   * A live write left `bytes` (more than {@link limit}) queued on `conn`: watches it, and past
   * the hard cap checks it again in 20 ms. Call only when `bytes > limit`, so the common case
   * costs nothing.
   */
  overLimit(conn: Drainable, bytes: number): void {
    if (bytes > this.hardCap && !this.capped.has(conn)) {
      this.capped.add(conn);
      this.scheduleCapCheck();
    }
    if (!this.over.has(conn)) this.watch(conn);
  }

  /** How many connections are being watched (tests, stats). */
  get watched(): number {
    return this.over.size;
  }

  /** Stops the sweep (the hub is closing). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.over.clear();
    this.capped.clear();
  }

  private scheduleCapCheck(): void {
    if (this.capCheckScheduled) return;
    this.capCheckScheduled = true;
    setTimeout(() => this.checkCaps(), CAP_CHECK_MS).unref();
  }

  /**
   * Cuts the connections still past the hard cap once the writes that put them there went to
   * their sockets: frames written in one turn are handed over together a little later (see
   * `NodeSink`: at the end of the turn, or after a few ms under load), and what the kernel takes
   * then is not the reader's backlog.
   */
  private checkCaps(): void {
    this.capCheckScheduled = false;
    for (const conn of this.capped) {
      this.capped.delete(conn);
      if (conn.isClosed() || conn.bufferedBytes <= this.hardCap) continue;
      this.over.delete(conn);
      conn.close('slow-consumer');
    }
  }

  private watch(conn: Drainable): void {
    this.over.set(conn, { sent: conn.sentBytes, since: performance.now() });
    if (this.timer === undefined) {
      this.lastSweep = performance.now();
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
  }

  /**
   * Ends the watch of closed connections and of queues back under the limit; cuts those whose
   * reader took nothing for `graceMs`. A late sweep (a busy event loop) judges nobody: the
   * writes the loop could not make meanwhile are not the readers' fault.
   */
  private sweep(): void {
    const now = performance.now();
    const late = now - this.lastSweep > 2 * this.sweepMs;
    this.lastSweep = now;
    for (const [conn, w] of this.over) {
      if (conn.isClosed()) {
        this.over.delete(conn);
        continue;
      }
      if (conn.bufferedBytes <= this.limit) {
        this.over.delete(conn);
        continue;
      }
      const sent = conn.sentBytes;
      if (sent !== w.sent || late) {
        w.sent = sent;
        w.since = now;
      } else if (now - w.since >= this.graceMs) {
        this.over.delete(conn);
        conn.close('slow-consumer');
      }
    }
    if (this.over.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
