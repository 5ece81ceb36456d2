import { comparePositions, encodeSseFrame, type ResetReason, type TopicPattern } from '@tidings/protocol';
import type { Principal, SubscribeGrant } from '../../auth/authorizer.js';
import { holdLive, type ReplayTarget, resetFrame } from '../../core/catch-up.js';
import { addressedTo } from '../../core/delivery-rule.js';
import type { CloseReason, ConnectionInfo } from '../../core/observer.js';
import type { Drainable } from '../../core/slow-consumer-rule.js';
import { eventFrame, type StoredEvent } from '../../core/stored-event.js';
import type { Stream, StreamHost } from '../../core/stream.js';
import type { SinkCloseListener, StreamSink } from '../../http/stream-sink.js';

const encoder = new TextEncoder();

/**
 * Replayed frames by event: a store that answers a repeated read with the same events (SQLite
 * during a reconnect storm) has them encoded once for every resuming stream.
 */
const replayFrames = new WeakMap<StoredEvent, Uint8Array>();

export type { StreamHost as ConnectionHost } from '../../core/stream.js';

/**
 * One subscriber stream. Flat state and no per-event closures: the dispatcher calls
 * {@link SseConnection.deliver} with a frame encoded once for all subscribers.
 *
 * Lifecycle: `replaying` (history is being sent; live events wait in `pending`), then `live`,
 * then `closed`. A connection without `Last-Event-ID` starts `live`.
 */
export class SseConnection implements Stream, ConnectionInfo, ReplayTarget, SinkCloseListener, Drainable {
  mark = 0;
  readonly transport = 'sse' as const;
  /** The registry's SSE frame (dialect 0): every event stream, Mercure's included, takes it live. */
  readonly dialect = 0;
  state: 'replaying' | 'live' | 'closed';
  /** Live events that arrived during replay, in dispatch order. */
  pending: StoredEvent[] = [];
  pendingBytes = 0;
  /** Set when `pending` overflowed and was dropped: the replay must read further. */
  pendingOverflowed = false;
  /**
   * After a replay: the last position it covered. A broker on several nodes can deliver an
   * event here after history already had it (and the replay sent it); live events up to this
   * position are skipped until delivery passes it (brokers deliver in position order).
   */
  replayedThrough: string | undefined;
  eventsSent = 0;
  bytesSent = 0;
  readonly openedAt = Date.now();
  readonly topics: readonly string[];
  private closeReason: CloseReason | undefined;
  private readonly hasResumePoint: boolean;
  private readonly canRead: ((topic: string) => boolean) | undefined;

  constructor(
    readonly id: string,
    private readonly host: StreamHost,
    readonly sink: StreamSink,
    readonly patterns: readonly TopicPattern[],
    readonly grant: SubscribeGrant,
    readonly remoteAddress: string,
    replaying: boolean,
  ) {
    this.topics = patterns.map((p) => p.source);
    this.canRead = grant.canRead;
    this.state = replaying ? 'replaying' : 'live';
    this.hasResumePoint = replaying;
    sink.onClose(this);
  }

  /**
   * Set by connections of a protocol face that authorizes the events it keeps to itself (Mercure's
   * private updates): the hub's `FaceOnly` rule then does not apply, targeted delivery still does.
   */
  protected decidesFacePrivacy = false;

  /** True once closed (a method, so callers re-read it after an await). */
  isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Whether the client holds an id to resume from: it sent one, was given one in `connected`
   * (every event stream is), or received an event.
   */
  get resumable(): boolean {
    return this.hasResumePoint || this.eventsSent > 0;
  }

  get user(): string | undefined {
    return this.grant.principal.user;
  }

  get principal(): Principal {
    return this.grant.principal;
  }

  get bufferedBytes(): number {
    return this.sink.bufferedBytes;
  }

  get sentBytes(): number {
    return this.sink.sentBytes;
  }

  /**
   * Whether this subscriber may receive `ev` (read grant and targeted delivery). A private
   * Mercure update is never delivered here: only a Mercure token's claims can authorize it, and
   * the Mercure face's connections decide that themselves.
   */
  accepts(ev: StoredEvent): boolean {
    if (this.canRead && !this.canRead(ev.topic)) return false;
    const principal = this.grant.principal;
    return this.decidesFacePrivacy ? addressedTo(ev, principal) : this.host.mayReceive(principal, ev);
  }

  /**
   * Whether this stream may read `ev` at all: for a stream, the same as {@link accepts} (which a
   * protocol face such as Mercure's overrides).
   */
  mayRead(ev: StoredEvent): boolean {
    return this.accepts(ev);
  }

  /**
   * Live delivery from the dispatcher. `frame` is shared by all subscribers and must not be
   * modified. Returns whether the frame was written.
   */
  deliver(ev: StoredEvent, frame: Uint8Array): boolean {
    if (this.state === 'live') {
      if (this.replayedThrough !== undefined) {
        if (comparePositions(ev.pos, this.replayedThrough) <= 0) return false;
        this.replayedThrough = undefined;
      }
      if (!this.accepts(ev)) return false;
      this.write(frame);
      this.eventsSent++;
      return true;
    }
    if (this.state === 'replaying') holdLive(this, ev, this.host.replayLimits);
    return false;
  }

  /**
   * The frame of `ev` for this connection, outside the live path (replay). Live frames are
   * encoded once per event by the dispatcher that feeds the connection; connections of another
   * protocol face (Mercure) override this to encode their own.
   */
  frameFor(ev: StoredEvent): Uint8Array {
    let frame = replayFrames.get(ev);
    if (!frame) {
      frame = encoder.encode(eventFrame(ev));
      replayFrames.set(ev, frame);
    }
    return frame;
  }

  notify(reason: CloseReason, notice: Record<string, unknown>): void {
    this.write(encoder.encode(encodeSseFrame({ event: reason, data: JSON.stringify(notice) })));
  }

  indexedPatterns(): readonly TopicPattern[] {
    return this.patterns;
  }

  /** Writes the hub-wide keep-alive `frame` (another face may write its own instead). */
  heartbeat(frame: Uint8Array): void {
    this.write(frame);
  }

  /** Writes an event of a replay, which paces itself: the slow-consumer rule does not judge it. */
  replay(ev: StoredEvent): void {
    if (this.state === 'closed' || this.closeReason !== undefined) return;
    const frame = this.frameFor(ev);
    this.sink.write(frame);
    this.bytesSent += frame.byteLength;
    this.eventsSent++;
  }

  sendReset(reason: ResetReason, lastEventId: string): void {
    this.write(resetFrame(reason, lastEventId));
  }

  waitDrain(): Promise<void> {
    return this.sink.waitDrain();
  }

  /**
   * Writes a frame (a live event, heartbeat, connected, reset) and applies the slow-consumer
   * rule to the queue it leaves.
   */
  write(frame: Uint8Array): void {
    // After close() began the sink may be ending: writing then would fail the response.
    if (this.state === 'closed' || this.closeReason !== undefined) return;
    this.sink.write(frame);
    this.bytesSent += frame.byteLength;
    const queued = this.sink.bufferedBytes;
    const rule = this.host.slowConsumers;
    // While replaying, the queue holds paced history, which the rule never judges: what else is
    // written then (the greeting, a heartbeat, a reset) is a few bytes.
    if (queued > rule.limit && this.state === 'live') rule.overLimit(this, queued);
  }

  /** Ends the stream. `shutdown` ends it cleanly; every other reason drops it at once. */
  close(reason: CloseReason): void {
    if (this.state === 'closed' || this.closeReason) return;
    this.closeReason = reason;
    if (
      reason === 'shutdown' ||
      reason === 'token-expired' ||
      reason === 'force-logout' ||
      reason === 'disconnected' ||
      reason === 'resync'
    ) {
      this.sink.end();
    } else {
      this.sink.destroy();
    }
  }

  /** @internal The sink closed: the peer went away, or close() finished ending it. */
  onSinkClosed(): void {
    this.closed(this.closeReason ?? 'client');
  }

  private closed(reason: CloseReason): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pending = [];
    this.pendingBytes = 0;
    this.host.connectionClosed(this, reason);
  }
}
