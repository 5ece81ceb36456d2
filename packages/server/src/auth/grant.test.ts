import { compilePattern, matchTopic, type TopicPattern } from '@tidings/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSubscription,
  expandGrantList,
  expandGrantPattern,
  grantCanPublish,
  grantCanRead,
  patternsIntersect,
  type TopicGrant,
} from './grant.js';

// A small alphabet so random patterns and topics actually overlap.
const seg = fc.constantFrom('tenant', 'a', 'b', 'user', 'jobs', 'u1');
const topicArb = fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const patternArb = fc
  .tuple(fc.array(fc.oneof(seg, fc.constant('*')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([s, deep]) => s.length > 0 || deep)
  .map(([s, deep]) => (deep ? [...s, '**'] : s).join('/'));
const grantArb = fc.record({
  subscribe: fc.array(patternArb, { maxLength: 3 }),
  tenant: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
});

function grantOf(subscribe: string[], tenant?: string, publish: string[] = []): TopicGrant {
  return {
    subscribe: subscribe.map((p) => compilePattern(p)),
    publish: publish.map((p) => compilePattern(p)),
    tenant,
    tenantRoot: 'tenant',
  };
}

describe('expandGrantPattern', () => {
  it('fills {sub} and {tenant}', () => {
    const p = expandGrantPattern('tenant/{tenant}/user/{sub}/**', { sub: 'u1', tenant: 'acme' });
    expect(typeof p !== 'string' && p?.source).toBe('tenant/acme/user/u1/**');
  });

  it.each([
    ['x/../**', /contains "\/"/],
    ['a/**', /contains "\/"/],
    ['*', /contains "\*"/],
    ['..', /is "\.\."/],
    ['', /empty/],
    ['ü', /non-ASCII/],
    ['a∕b', /non-ASCII/],
    ['{tenant}', /brace/],
  ])('refuses the sub %j instead of widening the grant', (sub, why) => {
    expect(expandGrantPattern('user/{sub}', { sub })).toMatch(why);
  });

  it('refuses unknown placeholders and missing claims', () => {
    expect(expandGrantPattern('user/{id}', { sub: 'u' })).toMatch(/unknown placeholder \{id\}/);
    expect(expandGrantPattern('tenant/{tenant}/**', { sub: 'u' })).toBeNull();
    const list = expandGrantList(['tenant/{tenant}/**', 'user/{sub}'], { sub: 'u' });
    expect(typeof list !== 'string' && list.map((p) => p.source)).toEqual(['user/u']);
    expect(expandGrantPattern('a/{sub', { sub: 'u' })).toMatch(/unbalanced brace/);
    expect(expandGrantList('user/{sub}', { sub: 'u' })).toMatch(/list of patterns/);
    expect(expandGrantList(Array(65).fill('a'), {})).toMatch(/limit is 64/);
  });

  it('never yields a pattern reaching outside user/<one segment> for any sub (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), topicArb, (sub, topic) => {
        const p = expandGrantPattern('user/{sub}', { sub });
        if (typeof p === 'string' || p === null) return;
        expect(p.wildcard).toBe(false);
        expect(p.segments).toHaveLength(2);
        if (p.matches(topic)) expect(topic).toBe(`user/${sub}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('patternsIntersect', () => {
  it.each([
    ['tenant/a/**', 'tenant/*/jobs', true],
    ['tenant/a/**', 'tenant/b/**', false],
    ['**', 'x', true],
    ['a/*', 'a', false],
    ['a/**', 'a', true],
    ['*/b', 'a/*', true],
    ['a/b', 'a/c', false],
  ])('%s ∩ %s → %s', (a, b, want) => {
    expect(patternsIntersect(compilePattern(a), compilePattern(b))).toBe(want);
    expect(patternsIntersect(compilePattern(b), compilePattern(a))).toBe(want);
  });

  it('is exact: true iff some topic matches both (property)', () => {
    fc.assert(
      fc.property(patternArb, patternArb, fc.array(topicArb, { maxLength: 30 }), (a, b, topics) => {
        const pa = compilePattern(a);
        const pb = compilePattern(b);
        const both = topics.some((t) => pa.matches(t) && pb.matches(t));
        // A witness proves intersection; no witness among random topics proves nothing, so build one.
        if (both) expect(patternsIntersect(pa, pb)).toBe(true);
        if (patternsIntersect(pa, pb))
          expect(witness(pa, pb)).toSatisfy((t: string) => pa.matches(t) && pb.matches(t));
      }),
      { numRuns: 3000 },
    );
  });
});

/** Builds a topic matched by both patterns (assuming they intersect). */
function witness(a: TopicPattern, b: TopicPattern): string {
  const fixed = (p: TopicPattern) => (p.deep ? p.segments.length - 1 : p.segments.length);
  const n = Math.max(fixed(a), fixed(b), 1);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const x = a.segments[k];
    const y = b.segments[k];
    const lit = [x, y].find((s) => s !== undefined && s !== '*' && s !== '**');
    out.push(lit ?? 'w');
  }
  return out.join('/');
}

describe('checkSubscription', () => {
  it('allows patterns inside the grant without a filter', () => {
    const r = checkSubscription(grantOf(['tenant/a/**', 'user/u1']), [
      compilePattern('tenant/a/jobs'),
      compilePattern('tenant/a/*/x'),
      compilePattern('user/u1'),
    ]);
    expect(r).toEqual({ denied: [], canRead: undefined });
  });

  it('denies topics and patterns sharing no topic with the grant, naming each', () => {
    const r = checkSubscription(grantOf(['tenant/a/**']), [
      compilePattern('tenant/b/jobs'),
      compilePattern('user/*'),
      compilePattern('tenant/a/x'),
    ]);
    expect(r.denied).toEqual(['tenant/b/jobs', 'user/*']);
  });

  it('filters a pattern broader than the grant down to the grant', () => {
    const r = checkSubscription(grantOf(['tenant/a/**']), [compilePattern('tenant/*/jobs')]);
    expect(r.denied).toEqual([]);
    expect(r.canRead?.('tenant/a/jobs')).toBe(true);
    expect(r.canRead?.('tenant/b/jobs')).toBe(false);
  });

  it('confines a tenant token to its tenant even when its patterns say more', () => {
    const g = grantOf(['**'], 'a', ['**']);
    expect(checkSubscription(g, [compilePattern('tenant/b/**')]).denied).toEqual(['tenant/b/**']);
    const wide = checkSubscription(g, [compilePattern('**')]);
    expect(wide.denied).toEqual([]);
    expect(wide.canRead?.('tenant/b/x')).toBe(false);
    expect(wide.canRead?.('tenant/a/x')).toBe(true);
    expect(wide.canRead?.('news')).toBe(true);
    expect(grantCanPublish(g, 'tenant/b/x')).toBe(false);
    expect(grantCanPublish(g, 'tenant/a/x')).toBe(true);
  });

  it('never lets an allowed subscription read a topic outside the grant (property)', () => {
    fc.assert(
      fc.property(
        grantArb,
        fc.array(patternArb, { minLength: 1, maxLength: 3 }),
        topicArb,
        (g, subs, topic) => {
          const grant = grantOf(g.subscribe, g.tenant);
          const patterns = subs.map((p) => compilePattern(p));
          const { denied, canRead } = checkSubscription(grant, patterns);
          if (denied.length > 0) return;
          // What the hub delivers: a topic one of the patterns matches, that passes the filter.
          const delivered = patterns.some((p) => p.matches(topic)) && (canRead ? canRead(topic) : true);
          if (!delivered) return;
          expect(g.subscribe.some((p) => matchTopic(p, topic))).toBe(true);
          const segs = topic.split('/');
          if (g.tenant !== undefined && segs[0] === 'tenant' && segs.length > 1)
            expect(segs[1]).toBe(g.tenant);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('never denies a pattern that shares a topic with the grant, unless that topic is foreign (property)', () => {
    fc.assert(
      fc.property(grantArb, patternArb, topicArb, (g, sub, topic) => {
        const grant = grantOf(g.subscribe, g.tenant);
        const p = compilePattern(sub);
        if (!p.matches(topic) || !grantCanRead(grant, topic)) return;
        expect(checkSubscription(grant, [p]).denied).toEqual([]);
      }),
      { numRuns: 5000 },
    );
  });
});
