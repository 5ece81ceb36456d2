import { describe, expect, it } from 'vitest';
import type { HubRequest } from './hub-request.js';
import { parseSubscription } from './parse-subscription.js';

const request = (query: string, headers: Record<string, string> = {}): HubRequest => ({
  method: 'GET',
  url: new URL(`http://hub.invalid/events?${query}`),
  path: '/events',
  remoteAddress: '',
  signal: new AbortController().signal,
  header: (name) => headers[name],
  text: () => Promise.resolve(''),
});

describe('parseSubscription', () => {
  it('reads topics (deduplicated) and the resume id, the header winning over the query', () => {
    const s = parseSubscription(
      request('topic=a&topic=b/*&topic=a&lastEventId=q.1', { 'last-event-id': 'h.2' }),
      10,
    );
    expect(s.patterns.map((p) => p.source)).toEqual(['a', 'b/*']);
    expect(s.lastEventId).toBe('h.2');
    expect(parseSubscription(request('topic=a&lastEventId=q.1'), 10).lastEventId).toBe('q.1');
  });

  it('shares one compiled pattern between subscriptions to the same topic', () => {
    const a = parseSubscription(request('topic=tenant/acme/**'), 10).patterns[0];
    const b = parseSubscription(request('topic=tenant/acme/**&topic=x'), 10).patterns[0];
    expect(a).toBe(b);
    expect(a?.matches('tenant/acme/leases/1')).toBe(true);
  });

  it('refuses an invalid pattern every time, naming it (refusals are not cached)', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => parseSubscription(request('topic=a//b'), 10)).toThrow(
        expect.objectContaining({ status: 400, code: 'invalid-pattern' }),
      );
    }
  });

  it('refuses no topic, too many topics and an over-long resume id with 400', () => {
    expect(() => parseSubscription(request(''), 10)).toThrow(
      expect.objectContaining({ code: 'invalid-pattern' }),
    );
    expect(() => parseSubscription(request('topic=a&topic=b&topic=c'), 2)).toThrow(
      expect.objectContaining({ code: 'too-many-topics' }),
    );
    expect(() => parseSubscription(request('topic=a', { 'last-event-id': 'x'.repeat(1025) }), 2)).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    );
  });
});
