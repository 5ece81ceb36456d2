import { describe, expect, it } from 'vitest';
import type { HubRequest } from '../http/hub-request.js';
import { bearerToken, findToken, readCookie } from './token-source.js';

function req(url: string, headers: Record<string, string> = {}): HubRequest {
  return {
    method: 'GET',
    url: new URL(url, 'http://hub.invalid'),
    path: '/events',
    remoteAddress: '',
    signal: new AbortController().signal,
    header: (n) => headers[n],
    text: async () => '',
  };
}

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer \t abc  ', 'abc'],
    ['Bearer a passphrase', 'a passphrase'],
    ['Bearer ', ''],
    ['Bearer', undefined],
    ['Bearerabc', undefined],
    ['Basic YTpi', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, want) => {
    expect(bearerToken(header)).toBe(want);
  });
});

describe('readCookie', () => {
  it.each([
    ['a=1; tok=abc.def; b=2', 'abc.def'],
    ['tok="quoted"', 'quoted'],
    ['tok=a%2Eb', 'a.b'],
    ['tok=%E0%A4%A', '%E0%A4%A'],
    ['xtok=1; tok =2', '2'],
    ['other=1', undefined],
    ['tok', undefined],
  ])('%j → %j', (header, want) => {
    expect(readCookie(header, 'tok')).toBe(want);
  });
});

describe('findToken', () => {
  it('takes the query token off the URL, so nothing downstream sees it', () => {
    const r = req('/events?topic=a&token=SECRET&x=1');
    expect(findToken(r, 'tok')).toEqual({ token: 'SECRET', source: 'query' });
    expect(r.url.href).not.toContain('SECRET');
    expect(r.url.searchParams.get('topic')).toBe('a');
    expect(findToken(r, 'tok')).toEqual({ token: 'SECRET', source: 'query' });
  });

  it('reads Bearer case-insensitively and refuses other schemes', () => {
    expect(findToken(req('/', { authorization: 'bearer  t1 ' }), 'tok')).toEqual({
      token: 't1',
      source: 'header',
    });
    expect(() => findToken(req('/', { authorization: 'Token t1' }), 'tok')).toThrow(
      /must be "Bearer <token>"/,
    );
    expect(() => findToken(req('/', { authorization: 'Bearer a b' }), 'tok')).toThrow(
      /must be "Bearer <token>"/,
    );
  });

  it('returns undefined without any source', () => {
    expect(findToken(req('/events?topic=a', { cookie: 'x=1' }), 'tok')).toBeUndefined();
  });
});
