import { describe, expect, it } from 'vitest';
import { ConnectionCounter } from './connection-limits.js';
import { checkPatternComplexity, resolveLimits } from './limits.js';
import { TokenBuckets } from './token-bucket.js';

describe('TokenBuckets', () => {
  it('allows the burst, then refills at the rate, per key', () => {
    let t = 0;
    const b = new TokenBuckets({ perSecond: 2, burst: 4 }, () => t);
    for (let i = 0; i < 4; i++) expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBe(500);
    expect(b.take('b')).toBe(0);
    t = 499;
    expect(b.wait('a')).toBeGreaterThan(0);
    expect(b.wait('a')).toBeLessThanOrEqual(2);
    t = 500;
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBe(500);
  });

  it('lets a batch larger than the burst through from a full bucket, then makes it wait off the debt', () => {
    let t = 0;
    const b = new TokenBuckets({ perSecond: 10, burst: 5 }, () => t);
    expect(b.take('p', 25)).toBe(0); // 5 - 25 = -20 tokens
    expect(b.take('p', 1)).toBe(2100); // back to 1 token after 2.1 s
    t = 2100;
    expect(b.take('p', 1)).toBe(0);
  });

  it('forgets idle keys as it grows', () => {
    let t = 0;
    const b = new TokenBuckets({ perSecond: 1, burst: 1 }, () => t);
    for (let i = 0; i < 5000; i++) b.take(`k${i}`);
    t = 10_000;
    for (let i = 0; i < 5000; i++) b.take(`j${i}`);
    expect(b.size).toBeLessThan(6000);
  });

  it('holds at most maxKeys buckets, forgetting the oldest, even when every key is busy', () => {
    const t = 0;
    const b = new TokenBuckets({ perSecond: 1, burst: 2 }, () => t, 1000);
    for (let i = 0; i < 20_000; i++) b.take(`busy-${i}`, 2);
    expect(b.size).toBe(1000);
    // The newest keys are still limited; the oldest were forgotten.
    expect(b.take('busy-19999')).toBeGreaterThan(0);
    expect(b.take('busy-0')).toBe(0);
  });

  it('keys a long key by its hash: the same bucket, a bounded size', () => {
    const t = 0;
    const b = new TokenBuckets({ perSecond: 1, burst: 1 }, () => t);
    const long = `user:${'x'.repeat(6000)}`;
    expect(b.take(long)).toBe(0);
    expect(b.take(long)).toBeGreaterThan(0);
    expect(b.wait(long)).toBeGreaterThan(0);
    expect(b.take(`${long}y`)).toBe(0);
    expect(b.size).toBe(2);
  });

  it('refuses nonsense rates', () => {
    expect(() => new TokenBuckets({ perSecond: 0, burst: 1 })).toThrow(/positive perSecond/);
    expect(() => new TokenBuckets({ perSecond: 1, burst: 1.5 })).toThrow(/integer burst/);
  });
});

describe('ConnectionCounter', () => {
  it('counts per key, releases once, and forgets empty keys', () => {
    const c = new ConnectionCounter(2);
    const r1 = c.acquire('u');
    c.acquire('u');
    expect(c.full('u')).toBe(true);
    r1();
    r1();
    expect(c.count('u')).toBe(1);
    expect(c.keys).toBe(1);
  });
});

describe('limits', () => {
  it('fills defaults, takes false to turn a limit off, and names bad values', () => {
    expect(resolveLimits({})).toEqual({
      connectionsPerUser: 32,
      connectionsPerIp: 256,
      maxPatternWildcards: 4,
      publishRate: { perSecond: 50, burst: 200 },
      publisherKeyRate: undefined,
    });
    expect(resolveLimits({ connectionsPerIp: false }).connectionsPerIp).toBeUndefined();
    expect(() => resolveLimits({ connectionsPerUser: 0 })).toThrow(
      /connectionsPerUser must be a positive integer or false/,
    );
    expect(() => resolveLimits({ publishRate: { perSecond: -1, burst: 1 } })).toThrow(/publishRate/);
  });

  it('counts * and ** segments against the complexity limit', () => {
    expect(() => checkPatternComplexity(['a/*/*/**'], 3)).not.toThrow();
    expect(() => checkPatternComplexity(['ok', '*/*/*/*'], 3)).toThrow(
      /"\*\/\*\/\*\/\*" has 4 wildcard segments; the limit is 3/,
    );
  });
});
