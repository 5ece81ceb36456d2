import { describe, expect, it } from 'vitest';
import { compileSelector, selectorCacheFigures } from './selector.js';

describe('the selector cache', () => {
  it('stays within 16 MiB of estimated bytes however long the templates subscribers send', () => {
    // Templates near the longest a subscriber may send (1,024 characters, 1,024 states),
    // each compiled: their automata and matcher caches are what the byte bound is for.
    const long = (i: number) => `https://example.com/${i}/${'{a}x/'.repeat(8)}${'y'.repeat(900)}`;
    for (let i = 0; i < 80; i++) expect(compileSelector(long(i)).template).toBeDefined();
    const { entries, bytes } = selectorCacheFigures();
    expect(bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(entries).toBeLessThan(80);
    // A cached selector still matches after the cache was emptied and refilled.
    expect(compileSelector(long(3)).matches(long(3))).toBe(true);
  });

  it('holds at most 1,000 selectors', () => {
    for (let i = 0; i < 1_200; i++) compileSelector(`https://example.com/books/${i}`);
    expect(selectorCacheFigures().entries).toBeLessThanOrEqual(1_000);
  });
});
