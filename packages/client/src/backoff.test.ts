import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';

const b: ResolvedBackoff = DEFAULT_BACKOFF;

describe('backoffCeiling', () => {
  it('grows from initialMs by the multiplier up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeiling(n, b))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });

  it("takes the hub's retry: as its base", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffCeiling(n, b, 3000))).toEqual([3000, 6000, 12000, 24000, 30000]);
  });

  it("never cuts below the hub's retry:, even past maxMs", () => {
    expect([1, 5, 50].map((n) => backoffCeiling(n, b, 60_000))).toEqual([60_000, 60_000, 60_000]);
  });

  it('stays finite for absurd attempt counts', () => {
    expect(backoffCeiling(1e6, b)).toBe(30_000);
    expect(backoffCeiling(1e6, { ...b, multiplier: 1 })).toBe(1000);
  });
});

describe('backoffCeiling over an outage', () => {
  it('stays within earlyMaxMs early in an outage, so a restarted hub sees clients back in seconds', () => {
    // A 20 s hub restart with the hub's default retry: of 3 s, attempt by attempt.
    expect([1, 2, 3, 5, 8].map((n) => backoffCeiling(n, b, 3000, n * 1500))).toEqual([
      3000, 3000, 3000, 3000, 3000,
    ]);
    // Without a retry: from the hub it still starts at initialMs.
    expect([1, 2, 3, 4].map((n) => backoffCeiling(n, b, undefined, 2000 * n))).toEqual([
      1000, 2000, 3000, 3000,
    ]);
  });

  it('lets the cap grow with the outage, reaching maxMs after rampMs', () => {
    const at = (outageMs: number) => backoffCeiling(50, b, 3000, outageMs);
    expect([0, 30_000, 60_000, 120_000, 240_000, 300_000, 3_600_000].map(at)).toEqual([
      3000, 3000, 6000, 12_000, 24_000, 30_000, 30_000,
    ]);
  });

  it('is the plain exponential schedule with earlyMaxMs equal to maxMs', () => {
    const plain = { ...b, earlyMaxMs: b.maxMs };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, plain, undefined, 20_000))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000,
    ]);
  });

  it("never cuts below the hub's retry: early either", () => {
    expect(backoffCeiling(4, b, 10_000, 1000)).toBe(10_000);
  });
});

describe('backoffDelay', () => {
  it('with full jitter lies in [0, ceiling) for any random number (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
        (attempt, r, retry) => {
          const d = backoffDelay(attempt, b, retry, () => r);
          const ceiling = backoffCeiling(attempt, b, retry);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(ceiling);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('reaches both ends of the jitter range', () => {
    expect(backoffDelay(3, b, undefined, () => 0)).toBe(0);
    expect(backoffDelay(3, b, undefined, () => 0.999_999)).toBe(3999);
    expect(backoffDelay(3, b, undefined, () => 0.5)).toBe(2000);
  });

  it('spreads clients over the early window with full jitter', () => {
    expect(backoffDelay(6, b, 3000, () => 0.999_999, 20_000)).toBe(2999);
    expect(backoffDelay(6, b, 3000, () => 0, 20_000)).toBe(0);
  });

  it('without jitter waits exactly the ceiling', () => {
    expect(backoffDelay(3, { ...b, jitter: false }, undefined, () => 0)).toBe(4000);
  });
});
