import { describe, expect, it } from 'vitest';
import { compileSelector, selectorCacheFigures } from './selector.js';

describe('the selector cache', () => {
  it('stays within 16 MiB of estimated bytes however long the templates subscribers send', () => {
    const long = (i: number) => `https://example.com/${i}/${'{a}x/'.repeat(15)}${'y'.repeat(1900)}`;
    for (let i = 0; i < 80; i++) compileSelector(long(i));
    const { entries, bytes } = selectorCacheFigures();
    expect(bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(entries).toBeLessThan(80);
    // A cached selector still matches after the cache was emptied and refilled.
    expect(compileSelector(long(3)).matches(long(3))).toBe(true);
  });

  it('holds at most 10,000 selectors', () => {
    for (let i = 0; i < 12_000; i++) compileSelector(`https://example.com/books/${i}`);
    expect(selectorCacheFigures().entries).toBeLessThanOrEqual(10_000);
  });
});
