import { describe, expect, it } from 'vitest';
import { failureVerdict } from './failure-verdict.js';

const http = (status: number, extra: { code?: string; retryAfterMs?: number } = {}) =>
  ({ kind: 'http', status, message: 'Nope', ...extra }) as const;
const next = (status: number, refreshable = true, refreshed = false) =>
  failureVerdict(http(status), 'https://hub.example', refreshable, refreshed)[0];

describe('failureVerdict', () => {
  it('stops where retrying cannot help, and retries the rest', () => {
    expect([400, 403, 404, 410, 422].map((s) => next(s))).toEqual(['stop', 'stop', 'stop', 'stop', 'stop']);
    expect([408, 429, 500, 502, 503].map((s) => next(s))).toEqual([
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
    ]);
    expect(next(204)).toBe('no-content');
  });

  it('refreshes a token function once after a 401, and stops with a fixed token or a second 401', () => {
    expect(next(401)).toBe('refresh');
    expect(next(401, true, true)).toBe('stop');
    expect(next(401, false)).toBe('stop');
  });

  it("keeps the hub's status and code, and waits at least its Retry-After", () => {
    expect(failureVerdict(http(503, { code: 'unavailable', retryAfterMs: 5000 }), '', true, false)).toEqual([
      'retry',
      'The hub answered 503: Nope.',
      { status: 503, code: 'unavailable' },
      5000,
    ]);
  });

  it('names the hub in network errors and retries streams that ended or were refused', () => {
    expect(
      failureVerdict({ kind: 'network', message: 'ECONNRESET' }, 'https://hub.example', true, false),
    ).toEqual(['retry', 'Lost the connection to https://hub.example: ECONNRESET.']);
    expect(failureVerdict({ kind: 'ended' }, '', true, false)[0]).toBe('retry');
    expect(failureVerdict({ kind: 'refused', message: 'Refused.' }, '', true, false)[0]).toBe('retry');
    expect(failureVerdict({ kind: 'not-event-stream', message: 'Not a stream.' }, '', true, false)[0]).toBe(
      'stop',
    );
  });
});
