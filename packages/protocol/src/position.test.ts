import { describe, expect, it } from 'vitest';
import { comparePositions, isPosition } from './position.js';

describe('comparePositions', () => {
  it.each([
    ['1', '2', -1],
    ['10', '9', 1],
    ['007', '7', 0],
    ['1700000000000-0', '1700000000000-1', -1],
    ['1700000000001-0', '1700000000000-99', 1],
    ['5', '5-0', 0],
    ['5', '5-1', -1],
    ['99999999999999999999999', '99999999999999999999998', 1],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(comparePositions(a, b))).toBe(sign);
    expect(Math.sign(comparePositions(b, a))).toBe(-sign || 0);
  });

  it('recognises the position shape', () => {
    expect(isPosition('12')).toBe(true);
    expect(isPosition('1-2')).toBe(true);
    expect(isPosition('a1')).toBe(false);
    expect(isPosition('1-')).toBe(false);
  });
});
