import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from '../../../../test/fuzz.js';
import { isHubError } from './errors.js';
import { type ParsedPublish, parsePublishBody } from './parse-publish.js';
import { eventFrame } from './stored-event.js';

/**
 * Publish bodies: whatever a publisher sends, parsing either accepts it or refuses it with a
 * `400`/`413` and a sentence (never another error, which would be a `500`); and whatever it
 * accepts reaches a browser exactly: the stored event's SSE frame encodes and parses back,
 * through eventsource-parser, to the same type, id and payload.
 */

const LIMITS = { maxPayloadBytes: 4096, maxBatchSize: 8 };

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    'a\nb',
    'a\rb',
    '\0',
    '\ud800',
    '\udc00x',
    '\ud83d\ude00',
    'héllo',
    'x'.repeat(300),
  ),
);
const topic = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9*.]{1,6}){0,3}$/),
  fc.constantFrom('$sys/x', 'a//b', '../x', 'a/**', ''),
  text,
);
const type = fc.oneof(
  fc.stringMatching(/^[!-~]{1,12}$/),
  fc.constantFrom('connected', 'heartbeat', 'reset', '', 'a b', 'x'.repeat(200)),
  text,
);
const field = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.jsonValue({ maxDepth: 2 }));
const hostileItem = fc.record(
  {
    topic: field(topic),
    type: field(type),
    data: fc.jsonValue({ maxDepth: 6 }),
    id: field(text),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
/** Mostly well-formed items, so acceptance (and delivery) is reached often. */
const plainItem = fc.record(
  {
    topic: fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9]{1,6}){0,3}$/),
    type: fc.oneof(fc.stringMatching(/^[!-~]{1,12}$/), type),
    data: fc.jsonValue({ maxDepth: 6 }),
    id: fc.oneof(fc.stringMatching(/^[ -~]{1,16}$/), text),
  },
  { requiredKeys: ['topic', 'type', 'data'] },
);
const item = fc.oneof({ arbitrary: plainItem, weight: 4 }, { arbitrary: hostileItem, weight: 1 });
const body = fc.oneof(
  item.map((i) => JSON.stringify(i)),
  fc.array(item, { maxLength: 10 }).map((a) => JSON.stringify(a)),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 40 }),
);

function overTheWire(frame: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (e) => events.push(e) }).feed(
    new TextDecoder().decode(new TextEncoder().encode(frame)),
  );
  return events;
}

function deliverExactly(p: ParsedPublish): void {
  const id = p.id ?? '0-1';
  const frame = eventFrame({ id, topic: p.topic, type: p.type, ts: 0, dataJson: p.dataJson, pos: '1' });
  const [ev, ...more] = overTheWire(frame);
  expect(more).toHaveLength(0);
  expect(ev?.event).toBe(p.type);
  expect(ev?.id).toBe(id);
  expect(JSON.parse(ev?.data ?? 'null')).toEqual({
    id,
    topic: p.topic,
    type: p.type,
    time: new Date(0).toISOString(),
    data: JSON.parse(p.dataJson),
  });
}

describe('parsePublishBody, fuzzed', () => {
  it('accepts and delivers exactly, or refuses with 400/413 and a sentence', () => {
    let accepted = 0;
    fc.assert(
      fc.property(body, (b) => {
        let parsed: ReturnType<typeof parsePublishBody>;
        try {
          parsed = parsePublishBody(b, LIMITS);
        } catch (e) {
          if (!isHubError(e)) throw e;
          expect([400, 413]).toContain(e.status);
          expect(e.message).toMatch(/^[A-Z].*[.)]$/s);
          return;
        }
        for (const p of parsed.items) deliverExactly(p);
        accepted += parsed.items.length;
      }),
      fuzzParams(1000, 1),
    );
    // The generator must reach acceptance, or the delivery half checks nothing.
    expect(accepted).toBeGreaterThan(20);
  });
});
