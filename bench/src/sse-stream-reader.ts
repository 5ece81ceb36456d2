const CRLFCRLF = Buffer.from('\r\n\r\n');
const ID_PREFIX = Buffer.from('id:');

/** Called for every event frame that carries a benchmark payload. */
export type OnBenchEvent = (seq: number, sentUs: number) => void;

/** Reads the non-negative integer at `at` (stops at the first non-digit). */
function readInt(b: Buffer, at: number, end: number): number {
  let n = 0;
  for (let i = at; i < end; i++) {
    const c = b[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

enum Chunk {
  Size = 0,
  Data = 1,
  Trailer = 2,
  Done = 3,
}

/**
 * The load generator's whole HTTP client for one SSE stream: the response head, chunked transfer
 * coding when the server uses it, and SSE frames, found by their blank-line separator. Of each
 * frame it reads only the benchmark payload's `"s":` (sequence number) and `"t":` (send time, µs)
 * and, when asked, the `id:` line (for Last-Event-ID). Everything else is skipped unparsed, so
 * the generator spends its CPU on counting, not on parsing.
 */
export class SseStreamReader {
  /** The response status, 0 until the head has arrived. */
  status = 0;
  /** The last `id:` seen (only with `trackIds`). */
  lastId: string | undefined;
  /** Frames seen, including ones without a payload (greetings, heartbeats). */
  frames = 0;
  /** True once a chunked body ended with its zero-size chunk. */
  ended = false;
  private head: Buffer | undefined = Buffer.alloc(0);
  private chunked = false;
  private state: Chunk = Chunk.Size;
  private chunkLeft = 0;
  private sizeDone = false;
  private trailerLeft = 0;
  private rest: Buffer | undefined;

  constructor(
    private readonly onEvent: OnBenchEvent,
    private readonly trackIds = false,
  ) {}

  /**
   * Feeds bytes `[start, end)` of `buf` as read from the socket. `buf` may be reused by the caller
   * afterwards (the reader copies what it keeps).
   */
  push(buf: Buffer, start = 0, end = buf.length): void {
    if (this.head) {
      const joined = Buffer.concat([this.head, buf.subarray(start, end)]);
      const at = joined.indexOf(CRLFCRLF);
      if (at < 0) {
        this.head = joined;
        return;
      }
      const headText = joined.toString('latin1', 0, at);
      this.status = Number(headText.slice(9, 12));
      this.chunked = /\r\ntransfer-encoding:[ \t]*chunked/i.test(headText);
      this.head = undefined;
      buf = joined;
      start = at + 4;
      end = joined.length;
    }
    if (this.chunked) this.dechunk(buf, start, end);
    else this.body(buf, start, end);
  }

  private dechunk(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      switch (this.state) {
        case Chunk.Size: {
          const c = buf[i++]!;
          if (c === 10) {
            if (this.chunkLeft === 0) {
              this.ended = true;
              this.state = Chunk.Done;
            } else {
              this.state = Chunk.Data;
            }
            this.sizeDone = false;
          } else if (!this.sizeDone) {
            const d =
              c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
            if (d < 0)
              this.sizeDone = true; // `\r` or a chunk extension
            else {
              this.chunkLeft = this.chunkLeft * 16 + d;
            }
          }
          break;
        }
        case Chunk.Data: {
          const take = Math.min(this.chunkLeft, end - i);
          this.body(buf, i, i + take);
          i += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) {
            this.state = Chunk.Trailer;
            this.trailerLeft = 2;
          }
          break;
        }
        case Chunk.Trailer:
          i++;
          if (--this.trailerLeft === 0) {
            this.state = Chunk.Size;
          }
          break;
        default:
          return;
      }
    }
  }

  /**
   * Finds frames by their blank line. Searches only for single bytes: `Buffer#indexOf` with a
   * number is a memchr (about 20 ns a call here), with a multi-byte needle it costs 100-150 ns, and
   * the generator's CPU per event is what bounds the deliveries per second it can check.
   */
  private body(buf: Buffer, start: number, end: number): void {
    if (start >= end) return;
    let data = buf;
    let pos = start;
    let stop = end;
    if (this.rest) {
      data = Buffer.concat([this.rest, buf.subarray(start, end)]);
      pos = 0;
      stop = data.length;
      this.rest = undefined;
    }
    let frameStart = pos;
    for (;;) {
      const nl = data.indexOf(10, pos);
      if (nl < 0 || nl + 1 >= stop) break;
      if (data[nl + 1] === 10) {
        this.frame(data, frameStart, nl);
        frameStart = nl + 2;
        pos = frameStart;
      } else {
        pos = nl + 1;
      }
    }
    if (frameStart < stop) this.rest = Buffer.from(data.subarray(frameStart, stop));
  }

  private frame(b: Buffer, start: number, end: number): void {
    this.frames++;
    if (this.trackIds) {
      const id = b.indexOf(ID_PREFIX, start);
      if (id === start || (id > start && id < end && b[id - 1] === 10)) {
        let s = id + 3;
        if (b[s] === 32) s++;
        let e = b.indexOf(10, s);
        if (e < 0 || e > end) e = end;
        this.lastId = b.toString('latin1', s, e);
      }
    }
    const s = findPayload(b, start, end);
    if (s < 0) return;
    // The payload puts `"t":` right after the sequence number; look further only if it does not.
    let at = s;
    while (at < end && b[at]! >= 48 && b[at]! <= 57) at++;
    let t = -1;
    if (b[at] === 44 && b[at + 1] === 34 && b[at + 2] === 116 && b[at + 3] === 34 && b[at + 4] === 58)
      t = at + 5;
    else t = findMark(b, at, end, 116);
    this.onEvent(readInt(b, s, end), t < 0 ? 0 : readInt(b, t, end));
  }
}

/**
 * Where the sequence number begins: after `{"s":`, the start of every benchmark payload, found by
 * memchr for `{` (a Tidings envelope has one more before it), else after any `"s":`; or -1.
 */
function findPayload(b: Buffer, start: number, end: number): number {
  let o = b.indexOf(123, start);
  while (o >= 0 && o + 4 < end) {
    if (b[o + 1] === 34 && b[o + 2] === 115 && b[o + 3] === 34 && b[o + 4] === 58) return o + 5;
    o = b.indexOf(123, o + 1);
  }
  return findMark(b, start, end, 115);
}

/**
 * Where the digits after the first `"x":` (x = `letter`) in `[start, end)` begin, or -1: looks at
 * each `"` found by memchr, rather than searching for the four-byte needle.
 */
function findMark(b: Buffer, start: number, end: number, letter: number): number {
  let q = b.indexOf(34, start);
  while (q >= 0 && q + 3 < end) {
    if (b[q + 1] === letter && b[q + 2] === 34 && b[q + 3] === 58) return q + 4;
    q = b.indexOf(34, q + 1);
  }
  return -1;
}
