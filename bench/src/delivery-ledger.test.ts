import { describe, expect, it } from 'vitest';
import { addSummaries, DeliveryLedger } from './delivery-ledger.js';

describe('DeliveryLedger', () => {
  it('counts an in-order stream as delivered with nothing lost', () => {
    const l = new DeliveryLedger(2);
    for (let s = 1; s <= 5; s++) {
      l.record(0, s);
      l.record(1, s);
    }
    expect(l.summary(() => 5)).toEqual({ delivered: 10, duplicates: 0, reordered: 0, lost: 0, tail: 0 });
    expect(l.lowestHighest()).toBe(5);
  });

  it('counts a missing tail and a gap as lost', () => {
    const l = new DeliveryLedger(2);
    for (const s of [1, 2, 5, 6]) l.record(0, s);
    for (const s of [1, 2]) l.record(1, s);
    expect(l.summary(() => 6)).toEqual({ delivered: 6, duplicates: 0, reordered: 0, lost: 2 + 4, tail: 4 });
    expect(l.lowestHighest()).toBe(2);
    expect(l.highest(0)).toBe(6);
  });

  it('tells a late arrival (reordered) from a duplicate', () => {
    const l = new DeliveryLedger(1);
    for (const s of [1, 4, 2, 3, 3, 1, 4, 5]) l.record(0, s);
    expect(l.summary(() => 5)).toEqual({ delivered: 5, duplicates: 3, reordered: 2, lost: 0, tail: 0 });
  });

  it('fills the middle of a gap and keeps both remaining sides lost', () => {
    const l = new DeliveryLedger(1);
    for (const s of [1, 10, 5]) l.record(0, s);
    expect(l.summary(() => 10)).toEqual({ delivered: 3, duplicates: 0, reordered: 1, lost: 7, tail: 0 });
  });

  it('adds summaries', () => {
    expect(
      addSummaries([
        { delivered: 1, duplicates: 2, reordered: 3, lost: 4, tail: 1 },
        { delivered: 10, duplicates: 20, reordered: 30, lost: 40, tail: 10 },
      ]),
    ).toEqual({ delivered: 11, duplicates: 22, reordered: 33, lost: 44, tail: 11 });
  });
});
