import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from '../../../test/fuzz.js';
import {
  describeClientValue,
  jsonDepth,
  parseClientMessage,
  WS_LIMITS,
  WS_MESSAGE_LIMITS,
  WS_PROTOCOL_VERSION,
} from './ws-messages.js';

/**
 * WebSocket client messages: whatever a client sends, parsing returns (never throws), the answer
 * can be serialized, and it stays small; what it accepts has the shape the hub relies on.
 */

/** Values that are awkward to print: objects that cannot become strings, deep nests, long text. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    { toString: 1 },
    { toString: null, valueOf: null },
    { __proto__: null },
    'x'.repeat(5000),
    '\ud800',
    [[[[[[]]]]]],
    Number.MAX_VALUE,
    -0,
  ),
  fc.integer({ min: 1, max: 200 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown),
);
const op = fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', 'command', 'ping'), hostileValue);
const message = fc
  .record(
    {
      op,
      id: fc.oneof(fc.stringMatching(/^[!-~]{1,8}$/), hostileValue),
      v: fc.oneof(fc.constant(WS_PROTOCOL_VERSION), hostileValue),
      topics: fc.oneof(
        fc.array(fc.oneof(fc.stringMatching(/^[a-z*/]{1,10}$/), hostileValue), { maxLength: 5 }),
        hostileValue,
      ),
      name: fc.oneof(fc.stringMatching(/^[a-z.]{1,10}$/), hostileValue),
      args: hostileValue,
      lastEventId: hostileValue,
      extra: hostileValue,
    },
    { requiredKeys: [] },
  )
  .map((m) => JSON.stringify(m));

function checkAnswer(text: string): void {
  const r = parseClientMessage(text);
  // The nack the hub sends is built from this: it must serialize, and stay small whatever came.
  const nack = JSON.stringify(r);
  expect(nack.length).toBeLessThan(2048);
  if (!r.ok) {
    expect(r.error.message).toMatch(/^[A-Z].*[.!]$/s);
    return;
  }
  const m = r.message;
  expect(['subscribe', 'unsubscribe', 'command', 'ping']).toContain(m.op);
  if (m.id !== undefined) expect(m.id.length).toBeLessThanOrEqual(WS_LIMITS.maxIdLength);
  if (m.op === 'subscribe' || m.op === 'unsubscribe') {
    expect(m.topics.every((t) => typeof t === 'string')).toBe(true);
  }
  expect(jsonDepth(text, WS_MESSAGE_LIMITS.maxDepth)).toBeLessThanOrEqual(WS_MESSAGE_LIMITS.maxDepth);
}

/** Nesting depth of a parsed JSON value, the reference for {@link jsonDepth}. */
function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + children.reduce((m: number, c) => Math.max(m, depthOf(c)), 0);
}

describe('parseClientMessage, fuzzed', () => {
  it('answers any message built from hostile values, briefly and in sentences', () => {
    fc.assert(
      fc.property(message, (text) => checkAnswer(text)),
      fuzzParams(400, 1),
    );
  });

  it('answers any text at all', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 })
            .map((cs) => String.fromCharCode(...cs)),
          fc.json({ maxDepth: 6 }),
        ),
        (text) => checkAnswer(text),
      ),
      fuzzParams(300, 1),
    );
  });

  it('measures nesting as the parsed value has it, stopping past the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.nat({ max: 14 }), (v, limit) => {
        const d = depthOf(v);
        expect(jsonDepth(JSON.stringify(v), limit)).toBe(d > limit ? limit + 1 : d);
      }),
      fuzzParams(1000, 1),
    );
  });

  it('refuses the two messages that ended the process, without echoing them', () => {
    const deep = `{"op":"ping","id":"1","v":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(parseClientMessage(deep)).toMatchObject({ ok: false, error: { code: 'invalid-message' } });
    const shallow = `{"op":"ping","id":"1","v":${'['.repeat(20)}${']'.repeat(20)}}`;
    const r = parseClientMessage(shallow);
    expect(r).toMatchObject({ ok: false, id: '1', error: { code: 'unsupported-version' } });
    expect(!r.ok && r.error.message).toContain('not an array');
    expect(parseClientMessage('{"op":"subscribe","topics":[{"toString":1}]}')).toMatchObject({
      ok: false,
      error: { code: 'invalid-pattern', message: expect.stringContaining('not an object') },
    });
    expect(describeClientValue('x'.repeat(500))).toHaveLength(43);
  });
});
