import { compilePattern } from '@tidings/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SubscriberIndex } from './subscriber-index.js';

interface Sub {
  mark: number;
  name: string;
}
const sub = (name: string): Sub => ({ mark: 0, name });

function matches(idx: SubscriberIndex<Sub>, topic: string): string[] {
  const out: string[] = [];
  idx.forEach(topic, (s) => out.push(s.name));
  return out.sort();
}

describe('SubscriberIndex', () => {
  it('finds exact and wildcard subscribers once each', () => {
    const idx = new SubscriberIndex<Sub>();
    const a = sub('a');
    const b = sub('b');
    idx.add(a, compilePattern('leases'));
    idx.add(a, compilePattern('leases/**'));
    idx.add(a, compilePattern('*'));
    idx.add(b, compilePattern('tenant/*/leases'));
    expect(matches(idx, 'leases')).toEqual(['a']);
    expect(matches(idx, 'tenant/acme/leases')).toEqual(['b']);
    expect(matches(idx, 'leases/x/y')).toEqual(['a']);
    expect(matches(idx, 'other/x')).toEqual([]);
  });

  it('forgets subscribers and prunes empty trie branches', () => {
    const idx = new SubscriberIndex<Sub>();
    const a = sub('a');
    const p = compilePattern('x/*/y/**');
    idx.add(a, p);
    idx.add(a, compilePattern('plain'));
    expect(matches(idx, 'x/1/y/2')).toEqual(['a']);
    idx.remove(a, p);
    idx.remove(a, compilePattern('plain'));
    expect(matches(idx, 'x/1/y/2')).toEqual([]);
    expect(idx.wildcardCount).toBe(0);
    expect(idx.exactTopicCount).toBe(0);
    expect((idx as unknown as { root: object }).root).toEqual({
      children: undefined,
      star: undefined,
      here: undefined,
      deep: undefined,
    });
  });

  it('agrees with matching every pattern one by one (property)', () => {
    const seg = fc.constantFrom('a', 'b', 'c');
    const topic = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    const pattern = fc
      .tuple(fc.array(fc.oneof(seg, fc.constant('*')), { maxLength: 3 }), fc.boolean())
      .filter(([s, d]) => s.length > 0 || d)
      .map(([s, d]) => [...s, ...(d ? ['**'] : [])].join('/'));
    fc.assert(
      fc.property(
        fc.array(fc.array(pattern, { minLength: 1, maxLength: 3 }), { maxLength: 8 }),
        topic,
        (subs, t) => {
          const idx = new SubscriberIndex<Sub>();
          const want: string[] = [];
          subs.forEach((patterns, i) => {
            const s = sub(String(i));
            for (const p of new Set(patterns)) idx.add(s, compilePattern(p));
            if (patterns.some((p) => compilePattern(p).matches(t))) want.push(String(i));
          });
          expect(matches(idx, t)).toEqual(want.sort());
        },
      ),
      { numRuns: 1000 },
    );
  });
});
