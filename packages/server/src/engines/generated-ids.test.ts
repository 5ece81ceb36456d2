import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeneratedIds, hasGeneratedShape } from './generated-ids.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('GeneratedIds', () => {
  const ids = GeneratedIds.create();

  it('turns every position it can hold into an event id and a resume id that decode back to it', () => {
    const position = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 48 - 1 }).map(String),
      fc
        .tuple(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
        .map(([ms, seq]) => `${ms}-${seq}`),
    );
    fc.assert(
      fc.property(position, (pos) => {
        const id = ids.encode(pos);
        expect(id).toMatch(/^~[A-Za-z0-9_-]{22}$/);
        expect(ids.decode(id)).toBe(pos);
        expect(ids.encodeAll([pos, pos])).toEqual([id, id]);
        const resume = ids.resumeId(pos);
        expect(resume).toMatch(/^~[A-Za-z0-9_-]{28}$/);
        expect(ids.decode(resume)).toBe(pos);
        expect(hasGeneratedShape(id) && hasGeneratedShape(resume)).toBe(true);
      }),
      { numRuns: 500, seed: 17 },
    );
  });

  it('decodes no id with one character changed, and no id of another key', () => {
    const other = GeneratedIds.create();
    for (const id of [ids.encode('1042'), ids.resumeId('1732262400000-3')]) {
      for (let i = 1; i < id.length; i++) {
        for (const c of ALPHABET) {
          if (c === id[i]) continue;
          const changed = `${id.slice(0, i)}${c}${id.slice(i + 1)}`;
          expect(ids.decode(changed), changed).toBeUndefined();
        }
      }
      expect(other.decode(id)).toBeUndefined();
    }
  });

  it('keeps the key across instances, and refuses keys and positions it cannot hold', () => {
    const again = new GeneratedIds(ids.exportKey());
    expect(again.encode('7')).toBe(ids.encode('7'));
    expect(again.decode(ids.resumeId('7'))).toBe('7');
    expect(() => new GeneratedIds('too-short')).toThrow(RangeError);
    for (const pos of ['-1', 'x', '1-2-3', String(2 ** 48), `1-${2 ** 32}`, '']) {
      expect(() => ids.encode(pos), pos).toThrow(/cannot be turned into an id/);
    }
    for (const s of ['', '~', 'order:42', `~${'A'.repeat(21)}`, `~${'A'.repeat(23)}`, 'k3x9qa.1042']) {
      expect(ids.decode(s), s).toBeUndefined();
    }
  });
});
