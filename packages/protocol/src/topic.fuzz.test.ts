import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from '../../../test/fuzz.js';
import { compilePattern, validatePattern, validateTopic } from './topic.js';

/**
 * Topic patterns against a small reference matcher (a regular expression built from the
 * grammar), over topics and patterns from a small alphabet so that matches are common; and the
 * validators against any string: they never throw and never accept what the grammar refuses.
 */

function reference(pattern: string): RegExp {
  const segs = pattern.split('/');
  const deep = segs[segs.length - 1] === '**';
  const fixed = (deep ? segs.slice(0, -1) : segs).map((s) =>
    s === '*' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  let src = fixed.join('/');
  if (deep) src = fixed.length > 0 ? `${src}(?:/[^/]+)*` : '(?:[^/]+(?:/[^/]+)*)?';
  return new RegExp(`^${src}$`);
}

const segment = fc.constantFrom('a', 'b', 'ab', 'x.y', '$s', '~');
const topic = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const pattern = fc
  .tuple(fc.array(fc.oneof(segment, fc.constant('*')), { maxLength: 4 }), fc.boolean())
  .filter(([segs, deep]) => segs.length > 0 || deep)
  .map(([segs, deep]) => [...segs, ...(deep ? ['**'] : [])].join('/'));
const anyString = fc
  .array(fc.constantFrom('a', '/', '*', '.', ' ', '\u00e9', '\0', '%', '~', '\ud800'), { maxLength: 12 })
  .map((cs) => cs.join(''));

describe('topic patterns, fuzzed', () => {
  it('match exactly the topics the reference matches', () => {
    fc.assert(
      fc.property(pattern, fc.array(topic, { minLength: 1, maxLength: 10 }), (p, topics) => {
        expect(validatePattern(p)).toBeUndefined();
        const compiled = compilePattern(p);
        const ref = reference(p);
        for (const t of topics) expect(compiled.matches(t), `${p} ~ ${t}`).toBe(ref.test(t));
      }),
      fuzzParams(1000, 1),
    );
  });

  it('validate any string without throwing, and accept only printable ASCII in whole segments', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const asTopic = validateTopic(s);
        const asPattern = validatePattern(s);
        const segs = s.split('/');
        const grammatical =
          s.length > 0 && segs.every((g) => /^[\x21-\x7e]+$/.test(g) && g !== '.' && g !== '..');
        if (asPattern === undefined) expect(grammatical).toBe(true);
        if (asTopic === undefined) expect(grammatical && !s.includes('*')).toBe(true);
      }),
      fuzzParams(1000, 1),
    );
  });
});
