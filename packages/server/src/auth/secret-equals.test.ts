import { describe, expect, it } from 'vitest';
import { secretEquals } from './secret-equals.js';

describe('secretEquals', () => {
  it.each([
    ['s3cret-token', 's3cret-token', true],
    ['s3cret-token', 's3cret-tokeN', false],
    ['s3cret', 's3cret-token', false],
    ['', 's3cret-token', false],
    ['', '', true],
  ])('%j vs %j → %j', (given, expected, want) => {
    expect(secretEquals(given, expected)).toBe(want);
  });
});
