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
 */

/** The fields of one SSE frame. All are optional; an empty frame is just a blank line. */
export interface SseFrameFields {
  /** Last-event-id to record; must not contain CR, LF or NUL. */
  id?: string | undefined;
  /** Event type; must not contain CR or LF. Omitted means the parser's default (`message`). */
  event?: string | undefined;
  /** Payload, any string. `undefined` writes no `data:` line (the frame then dispatches nothing). */
  data?: string | undefined;
  /** Reconnection delay in milliseconds, a non-negative integer. */
  retry?: number | undefined;
  /** A comment line (ignored by parsers; used as keep-alive). Must not contain CR or LF. */
  comment?: string | undefined;
}

const LINE_BREAK = /\r\n|\r|\n/;
const HAS_CR_LF = /[\r\n]/;

/** Thrown when a frame field cannot be represented in the SSE format. */
export class SseEncodingError extends TypeError {
  override name = 'SseEncodingError';
}

/** Whether `id` can be sent as an SSE `id:` field (no CR, LF or NUL). */
export function isValidSseId(id: string): boolean {
  return !HAS_CR_LF.test(id) && !id.includes('\0');
}

/**
 * Encodes one SSE frame, terminated by the blank line that dispatches it.
 * @throws {SseEncodingError} when `id`, `event` or `comment` contain a line break, `id` contains
 *   NUL, or `retry` is not a non-negative integer.
 */
export function encodeSseFrame(fields: SseFrameFields): string {
  let out = '';
  if (fields.comment !== undefined) {
    if (HAS_CR_LF.test(fields.comment)) {
      throw new SseEncodingError('An SSE comment cannot contain a line break.');
    }
    out += `: ${fields.comment}\n`;
  }
  if (fields.retry !== undefined) {
    if (!Number.isInteger(fields.retry) || fields.retry < 0) {
      throw new SseEncodingError(
        `An SSE retry must be a non-negative integer of milliseconds, not ${fields.retry}.`,
      );
    }
    out += `retry: ${fields.retry}\n`;
  }
  if (fields.id !== undefined) {
    if (!isValidSseId(fields.id)) {
      throw new SseEncodingError('An SSE id cannot contain CR, LF or NUL.');
    }
    out += `id: ${fields.id}\n`;
  }
  if (fields.event !== undefined) {
    if (HAS_CR_LF.test(fields.event)) {
      throw new SseEncodingError('An SSE event type cannot contain a line break.');
    }
    out += `event: ${fields.event}\n`;
  }
  if (fields.data !== undefined) {
    const d = fields.data;
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
