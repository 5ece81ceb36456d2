import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { socketSentBytes } from './socket-progress.js';
import type { SinkCloseListener, StreamSink } from './stream-sink.js';

/**
 * Sinks with bytes queued, in the order they were first written: a FIFO shared by every
 * connection, so a connection that receives several frames before its turn gets one write (one
 * syscall) instead of one per frame. Module-level state: no timer, closure or buffer per
 * connection.
 *
 * Flushing is sliced: one turn of the event loop flushes for at most a few ms and leaves
 * the rest for the next turn, so publishes and other I/O get in between. A monolithic pass over
 * 10k sockets takes 100+ ms under overload; an event published during it waited for the whole
 * pass and then for its own socket's place in the next one (up to two passes), where a rotation
 * gets it to each socket within one.
 *
 * Under load the next pass is also deferred by a short window (a few ms at most, and no longer
 * than the previous pass took), counted from the end of the previous pass: frames
 * published meanwhile join the same write, so events per syscall rise with the load instead of
 * the syscalls themselves. A frame written when the hub was idle or lightly loaded (the window
 * has passed, or the last pass touched few sockets) still goes out in the same turn.
 */
let dirty: NodeSink[] = [];
/** Index of the next sink to flush in {@link dirty}. */
let head = 0;
let flushScheduled = false;
/** When the current pass started (the queue went from empty to non-empty and began flushing). */
let passStart = -1;
/** Sinks flushed in the current pass. */
let passSinks = 0;
/** Before this time (see {@link flushPolicy}) a new pass waits for its window. */
let windowEnd = 0;

/**
 * @internal The flush policy: its clock (ms, monotonic) and thresholds. Tests replace them to
 * step time by hand and to load it with a few sockets.
 */
export const flushPolicy = {
  now: (): number => performance.now(),
  /** A pass that flushed at least this many sockets was load: the next one waits for a window. */
  busySinks: 256,
  /** The longest window a pass waits under load. */
  maxWindowMs: 4,
  /** How long one turn of the event loop flushes before yielding to I/O. */
  sliceMs: 4,
};

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  const wait = passStart < 0 ? windowEnd - flushPolicy.now() : 0;
  if (wait > 0) setTimeout(flushAll, Math.ceil(wait));
  else setImmediate(flushAll);
}

function flushAll(): void {
  flushScheduled = false;
  const now = flushPolicy.now();
  if (passStart < 0) passStart = now;
  const sliceEnd = now + flushPolicy.sliceMs;
  let i = head;
  while (i < dirty.length) {
    (dirty[i++] as NodeSink).flush();
    passSinks++;
    // A look at the clock every 32 sinks is often enough (a write takes several µs) and cheap.
    if ((passSinks & 31) === 0 && flushPolicy.now() >= sliceEnd) break;
  }
  if (i < dirty.length) {
    // Drop what was flushed once it is most of the array: amortised O(1) per sink.
    if (i >= 1024 && i * 2 >= dirty.length) {
      dirty = dirty.slice(i);
      i = 0;
    }
    head = i;
    flushScheduled = true;
    setImmediate(flushAll);
    return;
  }
  dirty = [];
  head = 0;
  joinedParts = undefined;
  joined = undefined;
  const end = flushPolicy.now();
  windowEnd =
    passSinks >= flushPolicy.busySinks ? end + Math.min(flushPolicy.maxWindowMs, end - passStart) : 0;
  passStart = -1;
  passSinks = 0;
}

/**
 * The frames and joined bytes of the last multi-frame flush. Subscribers of one topic queue the
 * same shared frames in the same order, so under load one join serves every socket of a pass
 * instead of an allocation and a copy per socket (frames are never modified once written).
 */
let joinedParts: Uint8Array[] | undefined;
let joined: Buffer | undefined;

function join(parts: Uint8Array[], bytes: number): Buffer {
  const last = joinedParts;
  if (last !== undefined && last.length === parts.length && joined !== undefined) {
    let same = true;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] !== last[i]) {
        same = false;
        break;
      }
    }
    if (same) return joined;
  }
  joinedParts = parts;
  joined = Buffer.concat(parts, bytes);
  return joined;
}

function onClose(this: Writable & { tidingsSink?: NodeSink }): void {
  this.tidingsSink?.finish();
}

function onDrain(this: Writable & { tidingsSink?: NodeSink }): void {
  this.tidingsSink?.flushWaiters();
}

/**
 * Makes a response's body delimited by the end of the connection (HTTP/1.1 without
 * `Transfer-Encoding: chunked`, with `Connection: close`), so that event bytes can go to the
 * socket as they are, without chunk framing. Call before `writeHead`.
 */
export function closeDelimited(res: ServerResponse): void {
  res.useChunkedEncodingByDefault = false;
}

/**
 * A {@link StreamSink} over a node:http response whose headers were already written, or over a
 * bare socket whose response head the stream front wrote (see {@link NodeSink.forSocket}).
 *
 * When the response is close-delimited (see {@link closeDelimited}) and owns its socket, frames
 * are written to the socket directly: the shared frame Buffer of an event goes to the kernel as
 * is, without node:http's per-write bookkeeping. Frames written in one turn are coalesced into
 * one write at the end of the turn.
 */
export class NodeSink implements StreamSink {
  closed = false;
  /** Set by end(): the response may not be written again, though 'close' has not fired yet. */
  private ended = false;
  private closeListener: SinkCloseListener | undefined;
  private drainWaiters: Array<() => void> | undefined;
  /** Where bytes go: the socket itself, or the response when it cannot be bypassed. */
  private readonly out: Writable;
  /** Bytes queued this turn: one frame, or several (`more`) to join at the flush. */
  private first: Uint8Array | undefined;
  private more: Uint8Array[] | undefined;
  private queued = 0;
  /** Bytes ever written to this sink. */
  private written = 0;

  /** The response, or `undefined` for a bare socket (then `out` is the socket). */
  private readonly res: ServerResponse | undefined;

  constructor(res: ServerResponse);
  /** @internal Use {@link NodeSink.forSocket}. */
  constructor(res: undefined, socket: Socket);
  constructor(res: ServerResponse | undefined, bare?: Socket) {
    this.res = res;
    if (res === undefined) {
      this.out = bare as Socket;
    } else {
      const socket = res.socket;
      // Bypassing the response is only valid when nothing of it is still buffered (headers went
      // out) and the body needs no chunk framing.
      const direct =
        socket !== null && !res.useChunkedEncodingByDefault && res.headersSent && res.writableLength === 0;
      this.out = direct ? socket : res;
      (res as ServerResponse & { tidingsSink?: NodeSink }).tidingsSink = this;
    }
    (this.out as Writable & { tidingsSink?: NodeSink }).tidingsSink = this;
    (res ?? this.out).on('close', onClose);
    this.out.on('drain', onDrain);
  }

  /**
   * A sink writing straight to `socket`, whose response head is already on the wire and whose
   * body ends with the connection. Ending the sink ends the socket.
   */
  static forSocket(socket: Socket): NodeSink {
    return new NodeSink(undefined, socket);
  }

  write(chunk: Uint8Array): void {
    if (this.closed || this.ended) return;
    if (this.first === undefined) {
      this.first = chunk;
      dirty.push(this);
      scheduleFlush();
    } else if (this.more === undefined) {
      this.more = [this.first, chunk];
    } else {
      this.more.push(chunk);
    }
    this.queued += chunk.byteLength;
    this.written += chunk.byteLength;
  }

  /** Hands this turn's bytes to the socket in one write. */
  flush(): void {
    const first = this.first;
    if (first === undefined) return;
    const more = this.more;
    const n = this.queued;
    this.first = undefined;
    this.more = undefined;
    this.queued = 0;
    if (this.closed || this.ended) return;
    this.out.write(more === undefined ? first : join(more, n));
  }

  get bufferedBytes(): number {
    return this.out.writableLength + this.queued;
  }

  get sentBytes(): number {
    const socket = this.res === undefined ? (this.out as Socket) : this.res.socket;
    return socketSentBytes(socket) ?? this.written - this.bufferedBytes;
  }

  waitDrain(): Promise<void> {
    if (this.closed || (!this.out.writableNeedDrain && this.queued === 0)) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters ??= [];
      this.drainWaiters.push(resolve);
      // Queued bytes alone may never cause a 'drain': write them now and wait for the socket.
      this.flush();
      if (!this.out.writableNeedDrain) this.flushWaiters();
    });
  }

  end(): void {
    if (this.closed || this.ended) return;
    this.flush();
    this.ended = true;
    // A close-delimited response ends its socket after the bytes queued on it before (node:http
    // does that for a response without a length), so directly written frames are sent first.
    if (this.res) this.res.end();
    // Like node:http after a close-delimited response: no waiting for the peer to close its
    // side, or a client that never does would hold the socket (and server.close()) forever.
    else (this.out as Socket).destroySoon();
  }

  destroy(): void {
    if (this.closed) return;
    this.first = undefined;
    this.more = undefined;
    this.queued = 0;
    (this.res ?? this.out).destroy();
    this.finish();
  }

  onClose(listener: SinkCloseListener): void {
    this.closeListener = listener;
  }

  /** @internal Called when the response closed. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.first = undefined;
    this.more = undefined;
    this.queued = 0;
    (this.res ?? this.out).off('close', onClose);
    this.out.off('drain', onDrain);
    this.flushWaiters();
    const listener = this.closeListener;
    this.closeListener = undefined;
    listener?.onSinkClosed();
  }

  /** @internal Resolves drain waiters. */
  flushWaiters(): void {
    const w = this.drainWaiters;
    if (w === undefined) return;
    this.drainWaiters = undefined;
    for (const r of w) r();
  }
}
