import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('reports percentiles within 3.2 % above the exact ones, never below', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = Math.floor((i * 7919) % 1_000_003) + 1;
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
      const got = h.percentile(p);
      expect(got, `p${p}`).toBeGreaterThanOrEqual(exact);
      expect(got, `p${p}`).toBeLessThanOrEqual(exact * 1.032);
    }
    expect(h.percentile(100)).toBe(values.at(-1));
    expect(h.count).toBe(20_000);
  });

  it('is exact below 64 µs and counts negative values (clock skew) as 0', () => {
    const h = new LatencyHistogram();
    for (const v of [-5, 0, 1, 2, 63]) h.record(v);
    expect([20, 40, 60, 80].map((p) => h.percentile(p))).toEqual([0, 0, 1, 2]);
  });

  it('keeps bucket edges monotonic and above every value in the bucket', () => {
    let prev = -1;
    const bad: number[] = [];
    for (let v = 0; v < 5_000_000; v += 13) {
      const i = LatencyHistogram.indexOf(v);
      if (i < prev || LatencyHistogram.valueAt(i) < v) bad.push(v);
      prev = i;
    }
    expect(bad).toEqual([]);
    expect(LatencyHistogram.valueAt(LatencyHistogram.indexOf(2 ** 36))).toBeGreaterThanOrEqual(2 ** 36);
  });

  it('merges and round-trips through its sparse form', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) (i % 2 ? a : b).record(i * 100);
    const back = LatencyHistogram.fromSparse(b.toSparse(), b.max, b.sum);
    a.merge(back);
    expect(a.count).toBe(100);
    expect(a.max).toBe(10_000);
    expect(a.percentile(50)).toBeGreaterThanOrEqual(5000);
    expect(a.percentile(50)).toBeLessThan(5200);
    expect(new LatencyHistogram().percentile(99)).toBe(0);
  });
});
