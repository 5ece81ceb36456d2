import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { SinkCloseListener, StreamSink } from './stream-sink.js';

/**
 * Sinks with bytes queued in this turn of the event loop. One `setImmediate` per turn flushes
 * them all, so a connection that receives several frames in one turn gets one write (one
 * syscall) instead of one per frame. Under load turns get longer and each write carries more
 * events, which is what keeps latency bounded when one write per event per socket could not
 * keep up. Module-level state: no timer, closure or buffer per connection.
 */
let dirty: NodeSink[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (let i = 0; i < list.length; i++) (list[i] as NodeSink).flush();
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
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    } else if (this.more === undefined) {
      this.more = [this.first, chunk];
    } else {
      this.more.push(chunk);
    }
    this.queued += chunk.byteLength;
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
    this.out.write(more === undefined ? first : Buffer.concat(more, n));
  }

  get bufferedBytes(): number {
    return this.out.writableLength + this.queued;
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
