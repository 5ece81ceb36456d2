import { describe, expect, it } from 'vitest';
import { HAND_OFF, INCOMPLETE, parseSimpleHead, type SimpleHead } from './request-head.js';

const parse = (text: string) => parseSimpleHead(Buffer.from(text, 'latin1'));
const head = (text: string): SimpleHead => {
  const h = parse(text);
  if (typeof h === 'number')
    throw new Error(`expected a head, got ${h === INCOMPLETE ? 'INCOMPLETE' : 'HAND_OFF'}`);
  return h;
};
const OK = 'GET /events?topic=a HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\r\n';

describe('parseSimpleHead', () => {
  it('reads the target and headers of a plain GET, names lower-cased, values trimmed', () => {
    const h = head(
      'GET /events?topic=a&topic=b%2Fc HTTP/1.1\r\nHost: hub:8080\r\nLast-Event-ID:  x.7 \t\r\n\r\n',
    );
    expect(h.target).toBe('/events?topic=a&topic=b%2Fc');
    expect([...h.headers]).toEqual([
      ['host', 'hub:8080'],
      ['last-event-id', 'x.7'],
    ]);
    expect(h.length).toBe(
      Buffer.byteLength(
        'GET /events?topic=a&topic=b%2Fc HTTP/1.1\r\nHost: hub:8080\r\nLast-Event-ID:  x.7 \t\r\n\r\n',
      ),
    );
  });

  it('accepts HTTP/1.0, empty values, tabs inside values and obs-text (as latin1)', () => {
    const h = head('GET / HTTP/1.0\r\nHost: h\r\nX-Empty:\r\nX-Tab: a\tb\r\nX-Latin: caf\xe9\r\n\r\n');
    expect(h.headers.get('x-empty')).toBe('');
    expect(h.headers.get('x-tab')).toBe('a\tb');
    expect(h.headers.get('x-latin')).toBe('café');
  });

  it('accepts Content-Length: 0 (no body)', () => {
    expect(head(OK.replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n')).headers.get('content-length')).toBe(
      '0',
    );
  });

  it('waits for the blank line, at any split', () => {
    for (let i = 0; i < OK.length - 1; i++) expect(parse(OK.slice(0, i))).toBe(INCOMPLETE);
    expect(typeof parse(OK)).toBe('object');
  });

  it('hands off as soon as the first bytes are not "GET /"', () => {
    for (const start of ['P', 'POST /publish', 'GET h', 'HEAD /', 'get /', 'OPTIONS /events', '\r\nGET /'])
      expect(parse(start)).toBe(HAND_OFF);
  });

  it.each([
    ['absolute-form target', 'GET http://hub/events HTTP/1.1\r\nHost: hub\r\n\r\n'],
    ['a space in the target', 'GET /ev ents HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['a control byte in the target', 'GET /ev\x01 HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['a non-ASCII target', 'GET /\xe9 HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n'],
    ['a lower-case version', 'GET / http/1.1\r\nHost: h\r\n\r\n'],
    ['no version', 'GET /\r\nHost: h\r\n\r\n'],
    ['two spaces before the version', 'GET /  HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['no Host', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
    ['no headers at all', 'GET / HTTP/1.1\r\n\r\n'],
    ['a repeated header', 'GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n'],
    ['a repeated header differing in case', 'GET / HTTP/1.1\r\nHost: h\r\nhost: i\r\n\r\n'],
    ['an obs-fold continuation line', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n'],
    ['an empty header name', 'GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n'],
    ['a line without colon', 'GET / HTTP/1.1\r\nHost: h\r\nnonsense\r\n\r\n'],
    ['a non-token name', 'GET / HTTP/1.1\r\nHost: h\r\nX(A): 1\r\n\r\n'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r2\r\n\r\n'],
    ['a bare LF in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\n2\r\n\r\n'],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\x002\r\n\r\n'],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\x7f\r\n\r\n'],
    ['a body length', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n'],
    ['a chunked body', 'GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['an upgrade', 'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['an expectation', 'GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n'],
    ['an h2c upgrade', 'GET / HTTP/1.1\r\nHost: h\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n'],
  ])('hands off %s to node:http', (_why, text) => {
    expect(parse(text)).toBe(HAND_OFF);
  });

  it('reports the head length when bytes follow it (the caller decides about them)', () => {
    const h = head(`${OK}GET /healthz HTTP/1.1\r\n`);
    expect(h.length).toBe(OK.length);
  });
});
