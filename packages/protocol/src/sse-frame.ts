/**
 * Server-Sent Events frame encoding, following the WHATWG HTML "event stream" grammar.
 *
 * - `data` may hold any string: it is split on CRLF, CR and LF and written as one `data:` line
 *   per line, so the parser joins it back with LF (CRLF and lone CR come back as LF: the format
 *   cannot carry them, which is why Tidings always sends JSON, where they are escaped).
 * - `id` and `event` are single-line fields: CR or LF in them would inject fields, so they throw.
 *   An `id` containing NUL is ignored by conforming parsers, so it throws too.
 * - Every field is written as `name: value`; the parser strips exactly one leading space, so a
 *   value that itself starts with a space survives.
 * - What the format cannot carry faithfully is refused rather than changed: an empty `event`
 *   (parsers read it as `message`), a `retry` that is not a safe integer (JavaScript writes 1e21
 *   and up in exponent form, which parsers ignore), and lone UTF-16 surrogates in any field
 *   (UTF-8 cannot encode them, so they would arrive as U+FFFD and an id would no longer match).
 *   The hub's validators (`validateEventType`, `validateEventId`, its options) refuse the same
 *   values first, with a `400` naming the rule; a property test holds the two together.
 */

/** The fields of one SSE frame. All are optional; an empty frame is just a blank line. */
export interface SseFrameFields {
  /** Last-event-id to record; must not contain CR, LF or NUL. */
  id?: string | undefined;
  /** Event type; must not contain CR or LF. Omitted means the parser's default (`message`). */
  event?: string | undefined;
  /** Payload, any string. `undefined` writes no `data:` line (the frame then dispatches nothing). */
  data?: string | undefined;
  /** Reconnection delay in milliseconds, a non-negative safe integer. */
  retry?: number | undefined;
  /** A comment line (ignored by parsers; used as keep-alive). Must not contain CR or LF. */
  comment?: string | undefined;
}

const LINE_BREAK = /\r\n|\r|\n/;
const HAS_CR_LF = /[\r\n]/;
/** A surrogate code unit that is not half of a pair (in `u` mode pairs are one code point). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Whether `s` holds a lone UTF-16 surrogate, which UTF-8 cannot carry.
 * `String.prototype.isWellFormed` where the runtime has it (Node 20), else a regular expression.
 */
export function hasLoneSurrogate(s: string): boolean {
  const wf = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return wf ? !wf.call(s) : LONE_SURROGATE.test(s);
}

function checkText(what: string, value: string): void {
  if (hasLoneSurrogate(value)) {
    throw new SseEncodingError(
      `An SSE ${what} cannot contain a lone UTF-16 surrogate: UTF-8 cannot carry it, so it would arrive as U+FFFD.`,
    );
  }
}

/** Thrown when a frame field cannot be represented in the SSE format. */
export class SseEncodingError extends TypeError {
  override name = 'SseEncodingError';
}

/** Whether `id` can be sent as an SSE `id:` field (no CR, LF, NUL or lone surrogate). */
export function isValidSseId(id: string): boolean {
  return !HAS_CR_LF.test(id) && !id.includes('\0') && !hasLoneSurrogate(id);
}

/**
 * Encodes one SSE frame, terminated by the blank line that dispatches it.
 * @throws {SseEncodingError} when `id`, `event` or `comment` contain a line break, `id` contains
 *   NUL, `event` is empty, any field holds a lone surrogate, or `retry` is not a non-negative
 *   safe integer.
 */
export function encodeSseFrame(fields: SseFrameFields): string {
  let out = '';
  if (fields.comment !== undefined) {
    if (HAS_CR_LF.test(fields.comment)) {
      throw new SseEncodingError('An SSE comment cannot contain a line break.');
    }
    checkText('comment', fields.comment);
    out += `: ${fields.comment}\n`;
  }
  if (fields.retry !== undefined) {
    if (!Number.isSafeInteger(fields.retry) || fields.retry < 0) {
      throw new SseEncodingError(
        `An SSE retry must be a non-negative safe integer of milliseconds (at most ${Number.MAX_SAFE_INTEGER}), not ${fields.retry}.`,
      );
    }
    out += `retry: ${fields.retry}\n`;
  }
  if (fields.id !== undefined) {
    if (!isValidSseId(fields.id)) {
      throw new SseEncodingError('An SSE id cannot contain CR, LF, NUL or a lone UTF-16 surrogate.');
    }
    out += `id: ${fields.id}\n`;
  }
  if (fields.event !== undefined) {
    if (HAS_CR_LF.test(fields.event)) {
      throw new SseEncodingError('An SSE event type cannot contain a line break.');
    }
    if (fields.event.length === 0) {
      throw new SseEncodingError(
        'An SSE event type cannot be empty: parsers read "event:" with no value as "message". Leave it out instead.',
      );
    }
    checkText('event type', fields.event);
    out += `event: ${fields.event}\n`;
  }
  if (fields.data !== undefined) {
    const d = fields.data;
    checkText('data field', d);
    if (d.length === 0 || !HAS_CR_LF.test(d)) {
      out += `data: ${d}\n`;
    } else {
      for (const line of d.split(LINE_BREAK)) out += `data: ${line}\n`;
    }
  }
  return `${out}\n`;
}

/** A keep-alive comment frame (`: text`), which parsers ignore but proxies see as traffic. */
export function encodeSseComment(text = ''): string {
  return encodeSseFrame({ comment: text });
}
