import { compilePattern } from '@tidings/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patternsOverlap } from './retention.js';
import { TopicTrie } from './topic-trie.js';

const seg = fc.constantFrom('a', 'b', 'c');
const topic = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const pattern = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', '*'), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([s, deep]) => (deep ? [...s, '**'] : s).join('/'));

describe('TopicTrie', () => {
  it('answers like a scan of every topic, through raises, deletes and repeated searches', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant('raise' as const), topic, fc.nat(50)),
            fc.tuple(fc.constant('delete' as const), topic, fc.constant(0)),
            fc.tuple(fc.constant('ask' as const), pattern, fc.nat(50)),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const trie = new TopicTrie();
          const ref = new Map<string, number>();
          for (const [op, name, n] of ops) {
            if (op === 'raise') {
              trie.raise(name, n);
              ref.set(name, Math.max(ref.get(name) ?? 0, n));
            } else if (op === 'delete') {
              trie.delete(name);
              ref.delete(name);
            } else {
              const p = compilePattern(name);
              const expected = [...ref].some(([t, w]) => w > n && p.matches(t));
              expect(trie.anyAbove(p, n)).toBe(expected);
            }
            expect(trie.size).toBe(ref.size);
          }
        },
      ),
      { numRuns: 300, seed: 17 },
    );
  });
});

describe('patternsOverlap', () => {
  it('is true exactly when some topic matches both patterns', () => {
    // Every topic of 1 to 6 segments over "a" and "b" (patterns use no other literal).
    const topics: string[] = [];
    const grow = (prefix: string[]) => {
      if (prefix.length > 0) topics.push(prefix.join('/'));
      if (prefix.length < 6) for (const s of ['a', 'b']) grow([...prefix, s]);
    };
    grow([]);
    fc.assert(
      fc.property(pattern, pattern, (x, y) => {
        const px = compilePattern(x);
        const py = compilePattern(y);
        // Patterns have at most 4 fixed segments, so a common topic, if any, has one of 6 or fewer.
        const witness = topics.some((t) => px.matches(t) && py.matches(t));
        expect(patternsOverlap(px.segments, py.segments)).toBe(witness);
      }),
      { numRuns: 500, seed: 17 },
    );
  });
});
