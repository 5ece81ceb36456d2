import type { Socket } from 'node:net';
import type { HubResponse } from './hub-request.js';
import { bodyTimeout, headTimeout, keptAliveAnswer } from './raw-response.js';
import { HAND_OFF, type HeadReader, INCOMPLETE, type SimpleHead } from './request-head.js';
import type { ResolvedServerLimits } from './server-limit-options.js';

/** A `POST` the front's target answers on the socket, as its target prepared it. */
export interface RawPost {
  /** Most body bytes the target reads; a longer announced body goes to node:http (`413`). */
  readonly limit: number;
}

/** What a {@link KeptAliveConnection} needs from the handler behind the front. */
export interface RawPostTarget {
  /** The request if the target answers this `POST` on the socket; `undefined` hands it to node:http. */
  acceptPost(head: SimpleHead): RawPost | undefined;
  /**
   * The answer to an accepted `POST` whose whole body arrived; never rejects. `body` undefined:
   * the client left mid-body, and the route sees the same `ClientGoneError` as on node:http.
   */
  answerPost(post: RawPost, head: SimpleHead, body: string | undefined, socket: Socket): Promise<HubResponse>;
}

/** One request's answer, in request order; `text` once known. */
interface Slot {
  text: string | undefined;
}

/** Requests in flight per connection before the front stops reading it. */
const MAX_IN_FLIGHT = 256;
/** Answer bytes waiting in the socket before the front stops reading it. */
const MAX_UNSENT = 1024 * 1024;

type Owner = Socket & { tidingsConnection?: KeptAliveConnection | undefined };

function onData(this: Owner, chunk: Buffer): void {
  this.tidingsConnection?.feed(chunk, 0);
}
function onEnd(this: Owner): void {
  this.tidingsConnection?.peerEnded();
}
function onTimeout(this: Owner): void {
  this.tidingsConnection?.idle();
}
function onDrain(this: Owner): void {
  this.tidingsConnection?.resumeReading();
}

/**
 * A keep-alive connection whose `POST` requests (`POST /publish`) the stream front answers itself:
 * heads and bounded bodies are read without node:http, each request is handled as soon as its
 * body is whole (so pipelined publishes share a group commit), and the answers go out in request
 * order, those ready in one turn in one write.
 *
 * Anything else on the connection — another method or path, an unusual head, an announced body
 * over the limit, a body that did not arrive with its head (node:http runs the route at once and
 * answers a refusal without the body) — and every byte after it is handed to node:http exactly as it arrived, once the
 * answers before it are written, so node's parser, limits and error answers apply to it.
 *
 * Deadlines are node:http's: an idle connection is closed after `keepAliveTimeoutMs`; a head must
 * arrive whole within `headersTimeoutMs` and a request within `requestTimeoutMs` of its first
 * byte, else `408` and the connection closes.
 */
export class KeptAliveConnection {
  private readonly slots: Slot[] = [];
  private flushing = false;
  /** A last answer (a `408`) to send after those before it, then close. */
  private last = '';
  /** The head whose body is being read, and that body's bytes so far. */
  private head: SimpleHead | undefined;
  private post: RawPost | undefined;
  private body: Buffer | undefined;
  private got = 0;
  /** When the request being read began (0: between requests). */
  private since = 0;
  private paused = false;
  /** Bytes (from the start of a request) that go to node:http once the answers before are out. */
  private handOffBytes: Buffer | undefined;
  private ended = false;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly reader: HeadReader,
    private readonly target: RawPostTarget,
    private readonly limits: ResolvedServerLimits,
    private readonly keepAliveS: () => number,
    private readonly toNode: (socket: Socket, bytes: Buffer) => void,
    private readonly onGone: (c: KeptAliveConnection) => void,
  ) {
    const s = socket as Owner;
    s.tidingsConnection = this;
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('timeout', onTimeout);
    s.on('drain', onDrain);
    s.once('close', () => {
      if (s.tidingsConnection !== this) return; // handed to node:http
      s.tidingsConnection = undefined;
      this.onGone(this);
      // Gone mid-body: the hub logs it as node:http's path does (a debug line, no error).
      if (this.head !== undefined && this.post !== undefined)
        void this.target.answerPost(this.post, this.head, undefined, socket);
    });
    s.setNoDelay(true);
    s.setTimeout(limits.keepAliveTimeoutMs);
  }

  /** True when no request is being read or answered: the connection may be closed at once. */
  get isIdle(): boolean {
    return this.slots.length === 0 && this.since === 0 && this.handOffBytes === undefined;
  }

  /** Starts with a head the front already read, whose body begins at `bytes[at]`. */
  begin(head: SimpleHead, bytes: Buffer, at: number): void {
    this.since = Date.now();
    const pos = this.take(head, bytes, at);
    if (pos >= 0 && pos < bytes.length) this.feed(bytes, pos);
  }

  /** Reads `chunk` from offset `at`: heads, bodies, and whatever follows them. */
  feed(chunk: Buffer, at: number): void {
    if (this.handOffBytes !== undefined) {
      // Waiting for earlier answers before node:http gets the rest: keep every byte for it.
      this.handOffBytes = Buffer.concat([this.handOffBytes, at === 0 ? chunk : chunk.subarray(at)]);
      return;
    }
    if (this.closing) return;
    let pos = at;
    while (pos < chunk.length) {
      if (this.head !== undefined) {
        pos = this.readBody(chunk, pos);
        continue;
      }
      if (this.since === 0) this.since = Date.now();
      const h = this.reader.pushFrom(chunk, pos);
      if (h === INCOMPLETE) break;
      const bytes = this.reader.bytes;
      this.reader.reset();
      if (h === HAND_OFF) {
        this.handOff(bytes);
        return;
      }
      // The head may have been read from the reader's own copy: go on in whatever holds it.
      pos = this.take(h, bytes, h.length);
      if (pos < 0) return;
      chunk = bytes;
    }
    this.checkDeadline();
  }

  /**
   * Starts answering `head`, whose body begins at `bytes[at]`.
   * @returns where the next request starts in `bytes`, or -1 when the connection went to node:http.
   */
  private take(head: SimpleHead, bytes: Buffer, at: number): number {
    const post = head.method === 'POST' ? this.target.acceptPost(head) : undefined;
    const whole = bytes.length - at >= head.contentLength;
    // A body that did not arrive with its head goes to node:http, which runs the route (credentials,
    // the memory budget) at once and answers a refusal without waiting for the body.
    if (post === undefined || head.contentLength > post.limit || !whole) {
      this.handOff(bytes);
      return -1;
    }
    this.head = head;
    this.post = post;
    this.body = undefined;
    this.got = 0;
    return this.readBody(bytes, at);
  }

  /** Reads the body from `chunk[pos]`; dispatches it once whole. @returns the position after it. */
  private readBody(chunk: Buffer, pos: number): number {
    const head = this.head as SimpleHead;
    const want = head.contentLength - this.got;
    if (this.body === undefined && chunk.length - pos >= want) {
      // Whole in this chunk, as pipelined publishes mostly are: no copy.
      this.since = 0;
      this.dispatch(chunk.toString('utf8', pos, pos + want));
      return pos + want;
    }
    this.body ??= Buffer.allocUnsafe(head.contentLength);
    const n = Math.min(want, chunk.length - pos);
    chunk.copy(this.body, this.got, pos, pos + n);
    this.got += n;
    if (this.got === head.contentLength) {
      this.since = 0;
      this.dispatch(this.body.toString('utf8'));
    }
    return pos + n;
  }

  /** Handles the request whose body is `body`; its answer takes the next slot. */
  private dispatch(body: string): void {
    const head = this.head as SimpleHead;
    const post = this.post as RawPost;
    this.head = undefined;
    this.post = undefined;
    this.body = undefined;
    this.got = 0;
    const slot: Slot = { text: undefined };
    this.slots.push(slot);
    if (this.slots.length >= MAX_IN_FLIGHT) this.pauseReading();
    this.target.answerPost(post, head, body, this.socket).then(
      (r) => this.answered(slot, r),
      () => this.answered(slot, undefined),
    );
  }

  private answered(slot: Slot, r: HubResponse | undefined): void {
    try {
      if (r === undefined) throw new Error('no answer');
      slot.text = keptAliveAnswer(r.status, r.headers, r.body, this.keepAliveS(), this.closing);
    } catch {
      // A header with a line break (answerPost answers its own failures): like node:http, which
      // throws in writeHead, close rather than split the response.
      slot.text = '';
      this.closing = true;
    }
    if (this.slots[0] === slot && !this.flushing) {
      this.flushing = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Writes every answer ready in request order, in one write. */
  private flush(): void {
    this.flushing = false;
    let out = '';
    while (this.slots.length > 0 && (this.slots[0] as Slot).text !== undefined) {
      out += (this.slots.shift() as Slot).text;
    }
    if (this.socket.destroyed) return;
    if (out.length > 0 && !this.socket.write(out) && this.socket.writableLength > MAX_UNSENT)
      this.pauseReading();
    else if (this.paused && this.slots.length < MAX_IN_FLIGHT / 2) this.resumeReading();
    if (this.slots.length > 0) return;
    if (this.closing || this.ended) {
      this.socket.end(this.last);
      this.socket.destroySoon();
    } else if (this.handOffBytes !== undefined) this.giveToNode();
  }

  private pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  /** Reads again once answers drained (called on 'drain' too). */
  resumeReading(): void {
    if (!this.paused || this.slots.length >= MAX_IN_FLIGHT / 2 || this.handOffBytes !== undefined) return;
    if (this.socket.writableLength > MAX_UNSENT) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Everything from `bytes` on is node:http's, once the answers before it are written. */
  private handOff(bytes: Buffer): void {
    this.handOffBytes = bytes;
    if (this.slots.length === 0) this.giveToNode();
    // Until the answers before it are out, node:http has nothing to read: neither do we.
    else this.pauseReading();
  }

  private giveToNode(): void {
    const bytes = this.handOffBytes as Buffer;
    const s = this.socket as Owner;
    s.tidingsConnection = undefined;
    s.off('data', onData);
    s.off('end', onEnd);
    s.off('timeout', onTimeout);
    s.off('drain', onDrain);
    s.setTimeout(0);
    if (this.paused) s.resume();
    this.onGone(this);
    this.toNode(s, bytes);
  }

  /** The client sent FIN: answer what it asked, then close. */
  peerEnded(): void {
    this.ended = true;
    if (this.slots.length === 0) this.socket.destroy();
  }

  /**
   * The server is closing: an idle connection closes now, a busy one after its answers (marked
   * `Connection: close`).
   */
  close(): void {
    this.closing = true;
    if (this.isIdle) this.socket.destroy();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /** No byte moved for `keepAliveTimeoutMs`. */
  idle(): void {
    if (this.slots.length > 0) {
      // Still answering: the route's own limits bound that.
      this.socket.setTimeout(this.limits.keepAliveTimeoutMs);
      return;
    }
    if (this.since === 0) {
      this.socket.destroy();
      return;
    }
    this.expire();
  }

  /** A request trickling in must still arrive whole within node:http's deadlines. */
  private checkDeadline(): void {
    if (this.since === 0) return;
    const late = Date.now() - this.since;
    if (this.head === undefined ? late > this.limits.headersTimeoutMs : late > this.limits.requestTimeoutMs)
      this.expire();
  }

  private expire(): void {
    const answer = this.head === undefined ? headTimeout(this.limits) : bodyTimeout(this.limits);
    this.closing = true;
    this.since = 0;
    this.head = undefined;
    if (this.slots.length > 0) {
      this.last = answer; // the answers before it go out first
      return;
    }
    this.socket.end(answer);
    this.socket.destroySoon();
  }
}
