import { describe, expect, it } from 'vitest';
import { anyTypeMatcher, matchType } from './match-type.js';

describe('matchType', () => {
  it('matches exact names, * and globs, treating other characters literally', () => {
    expect(matchType('lease-added', 'lease-added')).toBe(true);
    expect(matchType('lease-added', 'lease-added2')).toBe(false);
    expect(matchType('*', 'anything.at/all')).toBe(true);
    expect(matchType('lease-*', 'lease-removed')).toBe(true);
    expect(matchType('lease-*', 'leases')).toBe(false);
    expect(matchType('*.failed', 'build.failed')).toBe(true);
    expect(matchType('alert.*', 'alertXraised')).toBe(false);
    expect(matchType('a*b*c', 'aXXbYc')).toBe(true);
  });

  it('anyTypeMatcher matches everything for no patterns', () => {
    expect(anyTypeMatcher(undefined)('x')).toBe(true);
    expect(anyTypeMatcher([])('x')).toBe(true);
    expect(anyTypeMatcher(['a', 'b-*'])('b-1')).toBe(true);
    expect(anyTypeMatcher(['a', 'b-*'])('c')).toBe(false);
  });
});
