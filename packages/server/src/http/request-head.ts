/**
 * A `GET` request head simple enough to serve without node:http: request line and headers in
 * CRLF lines, no body, no repeated header. Anything else is left to node:http, whose parser
 * (llhttp) knows every corner of HTTP/1.1 and answers malformed requests precisely.
 */
export interface SimpleHead {
  /** The request target as sent: origin form, starting with `/`. */
  readonly target: string;
  /** Header values by lower-case name. */
  readonly headers: ReadonlyMap<string, string>;
  /** Bytes of the head, final blank line included. */
  readonly length: number;
}

/** Not yet a whole head: read more (the caller enforces the size limit). */
export const INCOMPLETE = 0;
/** A head this parser does not serve: pass the bytes to node:http. */
export const HAND_OFF = 1;

/**
 * Most headers node:http reads by default (`server.maxHeadersCount`): it ignores every header
 * after them, so the front hands such a head off rather than read what node would not.
 */
export const NODE_MAX_HEADERS = 1000;

const CR = 13;
const LF = 10;
const COLON = 58;
const SP = 32;
const HTAB = 9;

/** tchar (RFC 9110 §5.6.2), indexed by byte. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN[c.charCodeAt(0)] = 1;

/**
 * Headers whose presence means the request is not a plain body-less GET: a body
 * (`content-length` other than 0, `transfer-encoding`), a protocol switch, or an expectation.
 */
const NOT_SIMPLE = new Set(['transfer-encoding', 'upgrade', 'expect', 'http2-settings']);

const START = Buffer.from('GET /');
const VERSION = Buffer.from('HTTP/1.');

// Where the reader is in the head.
const S_START = 0; // "GET /", byte by byte
const S_TARGET = 1; // the target, up to the space
const S_VERSION = 2; // "HTTP/1.", then "0" or "1"
const S_LINE_CR = 3; // the CR ending the request line
const S_LINE_LF = 4; // the LF after a CR
const S_LINE = 5; // the first byte of a header line, or the CR of the blank line
const S_NAME = 6; // a header name, up to the colon
const S_VALUE = 7; // a header value, up to the CR
const S_END_LF = 8; // the LF of the blank line
const S_DONE = 9;

/**
 * Reads a request head as it arrives, each byte looked at once, and says as early as the bytes
 * allow whether it is a {@link SimpleHead} the front may serve.
 *
 * It accepts a strict subset of what node:http accepts: a differential fuzz test
 * (`request-head.fuzz.test.ts`) sends the same bytes to a real node:http server and checks that
 * whatever this reader serves, node serves too, with the same target and headers. Where the
 * two could differ it hands off: bare LF or CR, control bytes, `Content-Length` other than a
 * plain `0`, a repeated header, more than `maxHeaders` headers, more than `maxBytes` bytes.
 */
export class HeadReader {
  private buf: Buffer;
  private len = 0;
  private state = S_START;
  /** Progress within the literal being matched (S_START, S_VERSION). */
  private k = 0;
  private target = '';
  private readonly headers = new Map<string, string>();
  private lineStart = 0;
  private colon = 0;
  private result: SimpleHead | typeof INCOMPLETE | typeof HAND_OFF = INCOMPLETE;

  /**
   * @param maxBytes longest head read; a longer one is handed off (node:http answers `431`).
   * @param maxHeaders most headers read; a head with more is handed off. @defaultValue 1000
   */
  constructor(
    private readonly maxBytes: number,
    private readonly maxHeaders: number = NODE_MAX_HEADERS,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(1024, Math.max(16, maxBytes)));
  }

  /** Every byte received so far (to hand the socket to node:http as it arrived). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Bytes received so far. */
  get length(): number {
    return this.len;
  }

  /**
   * Reads the next chunk.
   * @returns the head once its blank line arrived, {@link INCOMPLETE} while it may still become
   *   one, or {@link HAND_OFF} as soon as it cannot; after the first answer other than
   *   INCOMPLETE, the same answer (the chunk is still kept in {@link bytes}).
   */
  push(chunk: Buffer): SimpleHead | typeof INCOMPLETE | typeof HAND_OFF {
    const from = this.len;
    this.append(chunk);
    if (this.result !== INCOMPLETE) return this.result;
    const end = Math.min(this.len, this.maxBytes);
    for (let i = from; i < end; i++) {
      if (!this.step(this.buf[i] as number, i)) {
        this.result = HAND_OFF;
        return HAND_OFF;
      }
      if (this.state === S_DONE) {
        this.result = { target: this.target, headers: this.headers, length: i + 1 };
        return this.result;
      }
    }
    if (this.len >= this.maxBytes) this.result = HAND_OFF;
    return this.result;
  }

  private append(chunk: Buffer): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      // Doubling keeps a head sent a byte at a time linear in its length.
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len = need;
  }

  /** Reads byte `c` at offset `i`; false when the head is not one to serve. */
  private step(c: number, i: number): boolean {
    switch (this.state) {
      case S_START:
        if (c !== START[this.k]) return false;
        if (++this.k === START.length) {
          this.state = S_TARGET;
          this.lineStart = i;
        }
        return true;
      case S_TARGET:
        if (c === SP) {
          this.target = this.buf.toString('latin1', this.lineStart, i);
          this.state = S_VERSION;
          this.k = 0;
          return true;
        }
        // Visible ASCII only: node:http refuses control bytes and anything past 0x7e.
        return c > SP && c < 127;
      case S_VERSION:
        if (this.k < VERSION.length) return c === VERSION[this.k++];
        if (c !== 0x30 && c !== 0x31) return false;
        this.state = S_LINE_CR;
        return true;
      case S_LINE_CR:
        if (c !== CR) return false;
        this.state = S_LINE_LF;
        return true;
      case S_LINE_LF:
        if (c !== LF) return false;
        this.state = S_LINE;
        return true;
      case S_LINE:
        if (c === CR) {
          this.state = S_END_LF;
          return true;
        }
        // A name of token characters; a leading space or tab would be an obs-fold.
        if (TOKEN[c] !== 1) return false;
        if (this.headers.size >= this.maxHeaders) return false;
        this.lineStart = i;
        this.state = S_NAME;
        return true;
      case S_NAME:
        if (c === COLON) {
          this.colon = i;
          this.state = S_VALUE;
          return true;
        }
        return TOKEN[c] === 1;
      case S_VALUE:
        if (c === CR) {
          this.state = S_LINE_LF;
          return this.header(i);
        }
        // Visible characters, spaces, tabs and obs-text; no other control byte, no DEL.
        return (c >= SP || c === HTAB) && c !== 127;
      case S_END_LF:
        if (c !== LF) return false;
        // node:http answers a request without Host with 400; let it.
        if (!this.headers.has('host')) return false;
        this.state = S_DONE;
        return true;
      default:
        return false;
    }
  }

  /** Records the header line ending before the CR at `cr`; false when it makes the head unfit. */
  private header(cr: number): boolean {
    const name = this.buf.toString('latin1', this.lineStart, this.colon).toLowerCase();
    if (this.headers.has(name) || NOT_SIMPLE.has(name)) return false;
    let vs = this.colon + 1;
    let ve = cr;
    while (vs < ve && (this.buf[vs] === SP || this.buf[vs] === HTAB)) vs++;
    if (name === 'content-length') {
      // Exactly "0" with spaces after it: llhttp refuses a tab there, and reads "00" as a
      // number this reader need not know about.
      if (this.buf[vs] !== 0x30) return false;
      for (let j = vs + 1; j < ve; j++) if (this.buf[j] !== SP) return false;
      ve = vs + 1;
    }
    while (ve > vs && (this.buf[ve - 1] === SP || this.buf[ve - 1] === HTAB)) ve--;
    this.headers.set(name, this.buf.toString('latin1', vs, ve));
    return true;
  }
}

/**
 * Parses the head of a `GET` request at the start of `buf`, if it is complete and simple (one
 * {@link HeadReader} fed the whole buffer).
 * @returns the head, {@link INCOMPLETE} when the blank line has not arrived yet, or
 *   {@link HAND_OFF} when node:http should handle the request.
 */
export function parseSimpleHead(
  buf: Buffer,
  maxHeaders: number = NODE_MAX_HEADERS,
): SimpleHead | typeof INCOMPLETE | typeof HAND_OFF {
  return new HeadReader(Number.POSITIVE_INFINITY, maxHeaders).push(buf);
}
