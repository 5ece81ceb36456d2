import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HubError } from '../core/errors.js';
import { jsonDepthExceeds, parseJsonBody } from './parse-json-body.js';

/** The nesting depth of a parsed JSON value: 0 for a scalar, 1 for `[]` or `{}`. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

// Strings full of the characters the scan must not count: brackets, quotes, backslashes.
const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ', '\u2028') });
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.integer(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(tricky, tie('node'), { maxKeys: 3 }),
  ),
})).node;

describe('jsonDepthExceeds', () => {
  it('agrees with the depth of the parsed value, at and around it (property)', () => {
    fc.assert(
      fc.property(value, fc.boolean(), (v, pretty) => {
        const text = JSON.stringify(v, null, pretty ? 2 : undefined);
        const d = depthOf(v);
        expect(jsonDepthExceeds(text, d)).toBe(false);
        if (d > 0) expect(jsonDepthExceeds(text, d - 1)).toBe(true);
      }),
      { seed: 17, numRuns: 2000 },
    );
  });

  it('counts no bracket inside a string, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify(['[[[[', '\\"[[', '\\\\']), 1)).toBe(false);
    expect(jsonDepthExceeds('["\\\\",[[1]]]', 2)).toBe(true);
    expect(jsonDepthExceeds('"[[[', 0)).toBe(false); // unterminated: JSON.parse reports it
  });
});

describe('parseJsonBody', () => {
  it('refuses a 5,000-deep array with 400 naming the option, and parses the rest', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const err = (() => {
      try {
        parseJsonBody(deep, { hint: 'Send less.' });
      } catch (e) {
        return e;
      }
    })() as HubError;
    expect(err).toBeInstanceOf(HubError);
    expect(err.status).toBe(400);
    expect(err.toBody().error).toMatchObject({ code: 'invalid-json', option: 'maxJsonDepth', limit: 64 });
    expect(err.message).toMatch(/more than 64 levels deep.*Send less\.$/);
    expect(parseJsonBody('{"a":[1]}', { hint: '' })).toEqual({ a: [1] });
    expect(() => parseJsonBody('{nope', { hint: 'Send JSON.' })).toThrow(/not valid JSON .*Send JSON\./);
  });
});
