const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const MARK_SEQ = Buffer.from('"s":');
const MARK_TIME = Buffer.from('"t":');
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
    for (;;) {
      const sep = data.indexOf(LFLF, pos);
      if (sep < 0 || sep + 2 > stop) break;
      this.frame(data, pos, sep);
      pos = sep + 2;
    }
    if (pos < stop) this.rest = Buffer.from(data.subarray(pos, stop));
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
    const s = b.indexOf(MARK_SEQ, start);
    if (s < 0 || s >= end) return;
    const t = b.indexOf(MARK_TIME, s);
    const sent = t < 0 || t >= end ? 0 : readInt(b, t + 4, end);
    this.onEvent(readInt(b, s + 4, end), sent);
  }
}
