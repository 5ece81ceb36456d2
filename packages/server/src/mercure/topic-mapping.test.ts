import { compilePattern, TOPIC_LIMITS, validateTopic } from '@tidings/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HASHED_TOPIC_ROOT, hubScopeOf, hubTopicOf, storageTopicOf } from './topic-mapping.js';

describe('hubTopicOf', () => {
  it.each([
    ['orders/42', 'orders/42'],
    ['https://example.com/books/1', 'https:/%/example.com/books/1'],
    ['/books/1', '%/books/1'],
    ['books/caf\u00e9', 'books/caf%C3%A9'],
    ['a b', 'a%20b'],
    ['100%', '100%25'],
    ['a/*/b', 'a/%2A/b'],
    ['$sys/stats', '%24sys/stats'],
    ['a/$b', 'a/$b'],
    ['a/./b/../c', 'a/%2E/b/%2E%2E/c'],
    ['https://example.com/books/{id}', 'https:/%/example.com/books/{id}'],
  ])('stores %s under %s', (topic, hub) => {
    expect(hubTopicOf(topic)).toBe(hub);
  });

  it('hashes topics too long for the hub grammar', () => {
    const long = `https://example.com/${'x'.repeat(300)}`;
    expect(hubTopicOf(long)).toMatch(new RegExp(`^${HASHED_TOPIC_ROOT}/[A-Za-z0-9_-]{43}$`));
    expect(hubTopicOf(`${'a/'.repeat(40)}b`).startsWith(`${HASHED_TOPIC_ROOT}/`)).toBe(true);
  });

  it('always yields a valid hub topic, never one of the reserved $ namespace, and never the same for two topics', () => {
    const topic = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.webUrl(),
      fc
        .array(fc.constantFrom('', '.', '..', '%', '*', '$', 'a', 'é', '%25', ' ', '/'), { maxLength: 12 })
        .map((a) => a.join('')),
    );
    fc.assert(
      fc.property(topic, topic, (a, b) => {
        fc.pre(a.length > 0 && b.length > 0);
        const ha = hubTopicOf(a);
        expect(validateTopic(ha)).toBeUndefined();
        expect(ha.length).toBeLessThanOrEqual(TOPIC_LIMITS.maxLength);
        expect(ha.startsWith('$')).toBe(false);
        if (a !== b) expect(ha).not.toBe(hubTopicOf(b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('storageTopicOf', () => {
  it('stores an update under its canonical topic, or under %a/ when it has alternates', () => {
    expect(storageTopicOf(['https://example.com/books/1'])).toBe('https:/%/example.com/books/1');
    expect(storageTopicOf(['https://example.com/books/1', 'https://example.com/users/a/?topic=x'])).toBe(
      '%a/https:/%/example.com/books/1',
    );
    const long = storageTopicOf([`https://example.com/${'x'.repeat(250)}`, 'alt']);
    expect(long).toMatch(/^%a\/%h\/[\w-]{43}$/);
    expect(validateTopic(long)).toBeUndefined();
  });
});

describe('hubScopeOf', () => {
  it('covers every topic a selector can match', () => {
    expect(hubScopeOf('*', false)).toEqual(['**']);
    expect(hubScopeOf('https://example.com/books/1', false)).toEqual(['https:/%/example.com/books/1']);
    const scope = hubScopeOf('https://example.com/books/{id}', true).map((p) => compilePattern(p));
    for (const topic of [
      'https://example.com/books/1',
      'https://example.com/books/{id}',
      `https://example.com/books/${'x'.repeat(300)}`,
    ]) {
      expect(scope.some((p) => p.matches(hubTopicOf(topic)))).toBe(true);
    }
    expect(hubScopeOf('{+anything}', true)).toEqual(['**']);
    // Leads at the segment or length limit leave no room for "/**".
    expect(hubScopeOf(`${'a/'.repeat(32)}{id}`, true)).toEqual(['**']);
    expect(hubScopeOf(`${'a'.repeat(254)}/{id}`, true)).toEqual(['**']);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (sel, template) => {
        fc.pre(sel.length > 0);
        for (const p of hubScopeOf(template ? `${sel}/{x}` : sel, template)) compilePattern(p);
      }),
    );
  });
});
