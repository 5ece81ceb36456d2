import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type AnyEventOf, defineEvents, type EventDataOf, formatIssues } from './define-events.js';

const events = defineEvents({
  'lease-added': z.object({ ip: z.string(), mac: z.string() }),
  'lease-removed': z.object({ ip: z.string() }),
});

describe('defineEvents', () => {
  it('lists the declared types', () => {
    expect(events.types).toEqual(['lease-added', 'lease-removed']);
    expect(events.has('lease-added')).toBe(true);
    expect(events.has('other')).toBe(false);
  });

  it('validates payloads against the declared schema', () => {
    expect(events.validate('lease-added', { ip: '10.0.0.7', mac: 'aa' })).toEqual({
      ok: true,
      value: { ip: '10.0.0.7', mac: 'aa' },
    });
    const bad = events.validate('lease-added', { ip: 7 });
    expect(bad).toMatchObject({ ok: false });
    if (!('then' in bad) && !bad.ok) expect(formatIssues(bad.issues)).toMatch(/ip: .*string/i);
  });

  it('lets undeclared types through unchanged', () => {
    expect(events.validate('unknown', [1, 2])).toEqual({ ok: true, value: [1, 2] });
  });

  it('refuses something that is not a Standard Schema', () => {
    expect(() => defineEvents({ x: {} as never })).toThrow(/not a Standard Schema/);
  });

  it('infers payload types end to end', () => {
    expectTypeOf<EventDataOf<typeof events, 'lease-added'>>().toEqualTypeOf<{ ip: string; mac: string }>();
    expectTypeOf<AnyEventOf<typeof events>['type']>().toEqualTypeOf<'lease-added' | 'lease-removed'>();
  });
});
