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

const HEAD_END = Buffer.from('\r\n\r\n');
const PREFIX_10 = Buffer.from(' HTTP/1.0\r\n');
const PREFIX_11 = Buffer.from(' HTTP/1.1\r\n');

/**
 * Parses the head of a `GET` request at the start of `buf`, if it is complete and simple.
 * @returns the head, {@link INCOMPLETE} when the blank line has not arrived yet, or
 *   {@link HAND_OFF} when node:http should handle the request.
 */
export function parseSimpleHead(buf: Buffer): SimpleHead | typeof INCOMPLETE | typeof HAND_OFF {
  // "GET /" is all a stream request can start with; say so as soon as the bytes disagree.
  const start = 'GET /';
  for (let i = 0; i < start.length && i < buf.length; i++) {
    if (buf[i] !== start.charCodeAt(i)) return HAND_OFF;
  }
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return INCOMPLETE;
  const lineEnd = buf.indexOf(CR, 4);
  // The request line: GET SP origin-form SP HTTP/1.x CRLF, the target in visible ASCII.
  const targetEnd = lineEnd - 9;
  if (targetEnd <= 4) return HAND_OFF;
  if (!buf.subarray(targetEnd, lineEnd + 2).equals(PREFIX_11)) {
    if (!buf.subarray(targetEnd, lineEnd + 2).equals(PREFIX_10)) return HAND_OFF;
  }
  for (let i = 4; i < targetEnd; i++) {
    const c = buf[i] as number;
    if (c <= SP || c >= 127) return HAND_OFF;
  }
  const target = buf.toString('latin1', 4, targetEnd);
  const headers = new Map<string, string>();
  let pos = lineEnd + 2;
  while (pos < end + 2) {
    const eol = buf.indexOf(CR, pos);
    if (buf[eol + 1] !== LF) return HAND_OFF;
    // A name of token characters, directly followed by the colon (no space before it).
    let colon = pos;
    while (colon < eol && TOKEN[buf[colon] as number] === 1) colon++;
    if (colon === pos || colon === eol || buf[colon] !== COLON) return HAND_OFF;
    // The value: optional whitespace around visible characters, spaces and tabs, or obs-text.
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    for (let i = vs; i < ve; i++) {
      const c = buf[i] as number;
      if ((c < SP && c !== HTAB) || c === 127) return HAND_OFF;
    }
    const name = buf.toString('latin1', pos, colon).toLowerCase();
    const value = buf.toString('latin1', vs, ve);
    if (headers.has(name) || NOT_SIMPLE.has(name)) return HAND_OFF;
    if (name === 'content-length' && value !== '0') return HAND_OFF;
    headers.set(name, value);
    pos = eol + 2;
  }
  // node:http answers a request without Host with 400; let it.
  if (!headers.has('host')) return HAND_OFF;
  return { target, headers, length: end + 4 };
}
