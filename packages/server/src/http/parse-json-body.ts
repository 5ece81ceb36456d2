import { HubError } from '../core/errors.js';

/** The default of `HubOptions.maxJsonDepth`: arrays and objects nested inside each other. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `text` nests arrays and objects more than `maxDepth` deep, by one pass over its
 * characters that jumps over strings (with `indexOf`, native code: strings are most of a typical
 * body, and brackets in them do not count). Linear, allocation-free, and stops at the first level
 * too deep, so it runs before `JSON.parse`: a 10 KB body of `[[[[…` parses fine but makes every
 * recursive step afterwards (`JSON.stringify`, validation) overflow the stack. It costs less than
 * the `JSON.parse` it precedes (docs/security.md, "Request bodies"). Malformed JSON is left to
 * `JSON.parse` to report; this only answers the depth question.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return false; // unterminated: JSON.parse says so
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/** The index of the quote closing the string opened at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    // Escaped when an odd number of backslashes precede it. Each run is counted once, as the
    // next search starts after this quote: still linear.
    let k = q - 1;
    while (k > open && text.charCodeAt(k) === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    from = q + 1;
  }
}

/** How {@link parseJsonBody} refuses, in the words of the endpoint it serves. */
export interface JsonBodyOptions {
  /** Deepest nesting of arrays and objects accepted. @defaultValue `DEFAULT_MAX_JSON_DEPTH` */
  readonly maxDepth?: number | undefined;
  /** Appended to the refusal, saying what to send instead, e.g. `Send {"user":"u1"}.` */
  readonly hint: string;
}

/**
 * Parses a request body as JSON, refusing nesting deeper than `maxDepth` before any parsing
 * cost. Every JSON body the hub reads goes through here.
 * @throws HubError 400 `invalid-json`, with `option: "maxJsonDepth"` and `limit` when too deep.
 */
export function parseJsonBody(text: string, o: JsonBodyOptions): unknown {
  const maxDepth = o.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new HubError(
      400,
      'invalid-json',
      `The request body nests arrays and objects more than ${maxDepth} levels deep, the hub's limit; flatten the data. ${o.hint}`,
      { option: 'maxJsonDepth', limit: maxDepth },
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HubError(
      400,
      'invalid-json',
      `The request body is not valid JSON (${(e as Error).message}). ${o.hint}`,
    );
  }
}
