import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from '../../../test/fuzz.js';
import { validateEventId, validateEventType } from './envelope.js';
import { encodeSseFrame, SseEncodingError, type SseFrameFields } from './sse-frame.js';

/** The frame as a browser gets it: UTF-8 on the wire, then a WHATWG parser nobody here wrote. */
function overTheWire(frame: string): { events: EventSourceMessage[]; retries: number[] } {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const p = createParser({ onEvent: (e) => events.push(e), onRetry: (r) => retries.push(r) });
  p.feed(new TextDecoder().decode(new TextEncoder().encode(frame)));
  return { events, retries };
}

/** Strings over the awkward characters: line breaks, NUL, lone and paired surrogates, U+FFFD. */
const nasty = fc.oneof(
  // Any UTF-16 code units (fast-check's 'binary' unit is slow to generate).
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((cs) => String.fromCharCode(...cs)),
  fc
    .array(
      fc.constantFrom('a', ' ', ':', '\r', '\n', '\0', '\ud800', '\udc00', '\ud83d\ude00', '\ufffd', 'é'),
      {
        maxLength: 8,
      },
    )
    .map((a) => a.join('')),
);
const retry = fc.oneof(
  fc.nat(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1e21, 1e300, -1, 0.5, Number.NaN),
  fc.double(),
);

describe('encodeSseFrame, fuzzed through eventsource-parser', () => {
  it('either refuses a field or delivers every field exactly', () => {
    fc.assert(
      fc.property(
        fc.record({ id: nasty, event: nasty, data: nasty, retry }, { requiredKeys: ['data'] }),
        (fields: SseFrameFields) => {
          let frame: string;
          try {
            frame = encodeSseFrame(fields);
          } catch (e) {
            expect(e).toBeInstanceOf(SseEncodingError);
            return;
          }
          const { events, retries } = overTheWire(frame);
          expect(events).toHaveLength(1);
          const ev = events[0] as EventSourceMessage;
          expect(ev.data).toBe((fields.data as string).replace(/\r\n|\r/g, '\n'));
          // A type is never lost: what was sent is what the browser dispatches.
          expect(ev.event).toBe(fields.event);
          if (fields.id !== undefined) expect(ev.id).toBe(fields.id);
          // -0 is written as 0 (the same delay; toEqual would tell them apart).
          expect(retries).toEqual(fields.retry === undefined ? [] : [fields.retry + 0]);
        },
      ),
      fuzzParams(1000, 1),
    );
  });

  it('accepts every id and type the publish validators accept, and refuses what they refuse', () => {
    fc.assert(
      fc.property(nasty, nasty, (id, type) => {
        const encodes = (f: SseFrameFields) => {
          try {
            encodeSseFrame(f);
            return true;
          } catch {
            return false;
          }
        };
        if (validateEventId(id) === undefined) expect(encodes({ id, data: '' })).toBe(true);
        if (!encodes({ id, data: '' })) expect(validateEventId(id)).toBeDefined();
        if (validateEventType(type) === undefined) expect(encodes({ event: type, data: '' })).toBe(true);
        if (!encodes({ event: type, data: '' })) expect(validateEventType(type)).toBeDefined();
      }),
      fuzzParams(1000, 1),
    );
  });

  it('refuses the three edges the fuzzer found', () => {
    expect(() => encodeSseFrame({ event: '', data: 'x' })).toThrow(/cannot be empty/);
    expect(() => encodeSseFrame({ retry: 1e21 })).toThrow(/safe integer/);
    expect(() => encodeSseFrame({ data: 'a\ud800b' })).toThrow(/lone UTF-16 surrogate/);
    expect(() => encodeSseFrame({ id: '\udc00' })).toThrow(/lone UTF-16 surrogate/);
    expect(validateEventType('')).toMatch(/non-empty/);
    expect(validateEventId('\udc00')).toBeDefined();
    expect(overTheWire(encodeSseFrame({ retry: Number.MAX_SAFE_INTEGER })).retries).toEqual([
      Number.MAX_SAFE_INTEGER,
    ]);
  });
});
