import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  isWildcardPattern,
  matchTopic,
  patternCovers,
  TOPIC_LIMITS,
  validatePattern,
  validateTopic,
} from './topic.js';

describe('validateTopic', () => {
  it.each(['leases', 'tenant/acme/leases', 'a/b/c/d', 'urn:x:y', 'x.y-z_1@2', 'A~B'])('accepts %s', (t) => {
    expect(validateTopic(t)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['/leading', /empty segment/],
    ['trailing/', /empty segment/],
    ['a//b', /empty segment/],
    ['a/../b', /"\.\." segment/],
    ['./a', /"\." segment/],
    ['has space', /printable ASCII/],
    ['tab\there', /printable ASCII/],
    ['uni/cødé', /printable ASCII/],
    ['look∕alike', /printable ASCII/],
    ['a/*', /wildcards belong/],
    ['a/**', /wildcards belong/],
    ['x'.repeat(TOPIC_LIMITS.maxLength + 1), /limit is 256/],
    [
      Array(TOPIC_LIMITS.maxSegments + 1)
        .fill('a')
        .join('/'),
      /limit is 32/,
    ],
  ])('refuses %j with a message that says why', (t, why) => {
    expect(validateTopic(t)?.message).toMatch(why);
  });
});

describe('validatePattern', () => {
  it.each(['a', 'a/*', '*/b', 'a/**', '**', '*/*/c/**'])('accepts %s', (p) => {
    expect(validatePattern(p)).toBeUndefined();
  });

  it.each([
    ['a/**/b', /only end a pattern/],
    ['a*', /whole segment/],
    ['a/b*/c', /whole segment/],
    ['***', /whole segment/],
    ['a//b', /empty segment/],
  ])('refuses %j', (p, why) => {
    expect(validatePattern(p)?.message).toMatch(why);
  });
});

describe('matchTopic', () => {
  it.each([
    ['leases', 'leases', true],
    ['leases', 'leases/x', false],
    ['a/*', 'a/b', true],
    ['a/*', 'a', false],
    ['a/*', 'a/b/c', false],
    ['*/b', 'x/b', true],
    ['a/**', 'a', true],
    ['a/**', 'a/b/c/d', true],
    ['a/**', 'ab', false],
    ['a/**', 'b/a', false],
    ['**', 'anything/at/all', true],
    ['tenant/*/jobs/**', 'tenant/acme/jobs', true],
    ['tenant/*/jobs/**', 'tenant/acme/jobs/7/log', true],
    ['tenant/*/jobs/**', 'tenant/acme/leases', false],
  ])('%s ~ %s = %s', (p, t, want) => {
    expect(matchTopic(p, t)).toBe(want);
    expect(compilePattern(p).matches(t)).toBe(want);
    expect(compilePattern(p).matchesSegments(t.split('/'))).toBe(want);
  });

  it('compiles patterns and reports their shape', () => {
    const p = compilePattern('a/*/**');
    expect(p).toMatchObject({ source: 'a/*/**', wildcard: true, deep: true, segments: ['a', '*', '**'] });
    expect(compilePattern('a/b').wildcard).toBe(false);
    expect(isWildcardPattern('a/*')).toBe(true);
    expect(() => compilePattern('a/**/b')).toThrow(TypeError);
  });

  const segment = fc.constantFrom('a', 'b', 'c', 'acme', 'x-1');
  const topic = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
  const pattern = fc
    .tuple(fc.array(fc.oneof(segment, fc.constant('*')), { minLength: 0, maxLength: 4 }), fc.boolean())
    .filter(([s, deep]) => s.length > 0 || deep)
    .map(([s, deep]) => [...s, ...(deep ? ['**'] : [])].join('/'));

  /** An independent reference: translate the pattern to a regular expression. */
  function reference(p: string, t: string): boolean {
    const parts = p.split('/');
    let re = '^';
    parts.forEach((s, i) => {
      if (s === '**') re += i === 0 ? '.*' : '(?:/.*)?';
      else re += (i === 0 ? '' : '/') + (s === '*' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
    });
    return new RegExp(`${re}$`).test(t);
  }

  it('agrees with a regular-expression reference (property)', () => {
    fc.assert(
      fc.property(pattern, topic, (p, t) => {
        expect(matchTopic(p, t)).toBe(reference(p, t));
      }),
      { numRuns: 2000 },
    );
  });

  it('patternCovers never claims coverage that matching contradicts (property)', () => {
    fc.assert(
      fc.property(pattern, pattern, topic, (outer, inner, t) => {
        if (patternCovers(outer, inner) && matchTopic(inner, t)) expect(matchTopic(outer, t)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('patternCovers recognises the usual grants', () => {
    expect(patternCovers('tenant/acme/**', 'tenant/acme/leases')).toBe(true);
    expect(patternCovers('tenant/acme/**', 'tenant/acme/*/x/**')).toBe(true);
    expect(patternCovers('tenant/acme/**', 'tenant/*/leases')).toBe(false);
    expect(patternCovers('tenant/*/leases', 'tenant/acme/leases')).toBe(true);
    expect(patternCovers('user/u1', 'user/u1')).toBe(true);
    expect(patternCovers('user/u1', 'user/*')).toBe(false);
    expect(patternCovers('a/*', 'a/**')).toBe(false);
  });
});
