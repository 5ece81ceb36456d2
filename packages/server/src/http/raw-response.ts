import type { ResolvedServerLimits } from './server-limit-options.js';
import { STATUS_TEXT } from './status-text.js';

let dateSecond = -1;
let dateText = '';

/** The `Date` header's value, formatted once per second as node:http does. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

const UNSAFE = /[\r\n\0]/;

/**
 * A response head for a connection that closes after this response (`Connection: close`): the
 * status line, `headers`, `Date` and, when the body is known, `Content-Length`.
 * @throws {TypeError} when a header name or value contains CR, LF or NUL (response splitting).
 */
export function rawHead(
  status: number,
  headers: Readonly<Record<string, string>>,
  bodyBytes?: number,
): string {
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n`;
  for (const name in headers) {
    const value = headers[name] as string;
    if (UNSAFE.test(name) || UNSAFE.test(value))
      throw new TypeError(`The response header ${JSON.stringify(name)} contains a line break or NUL.`);
    head += `${name}: ${value}\r\n`;
  }
  if (bodyBytes !== undefined) head += `content-length: ${bodyBytes}\r\n`;
  return `${head}date: ${httpDate()}\r\nconnection: close\r\n\r\n`;
}

/** A whole JSON error response in the hub's error shape, for answers written to a bare socket. */
export function rawJson(status: number, code: string, message: string, detail: object = {}): string {
  const body = JSON.stringify({ error: { ...detail, code, message } });
  return (
    rawHead(status, { 'content-type': 'application/json; charset=utf-8' }, Buffer.byteLength(body)) + body
  );
}

/** The `408` for a connection that sent nothing within `firstByteTimeoutMs`. */
export function firstByteTimeout(l: Pick<ResolvedServerLimits, 'firstByteTimeoutMs'>): string {
  return rawJson(
    408,
    'request-timeout',
    `The connection sent no request within ${l.firstByteTimeoutMs} ms; send the request as soon as you connect.`,
    { limit: l.firstByteTimeoutMs, option: 'firstByteTimeoutMs' },
  );
}

/** The `408` for a request head still incomplete after `headersTimeoutMs`. */
export function headTimeout(l: Pick<ResolvedServerLimits, 'headersTimeoutMs'>): string {
  return rawJson(
    408,
    'request-timeout',
    `The request head did not arrive within ${l.headersTimeoutMs} ms; send it at once.`,
    { limit: l.headersTimeoutMs, option: 'headersTimeoutMs' },
  );
}
