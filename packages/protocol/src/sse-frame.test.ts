import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSseComment, encodeSseFrame, isValidSseId, SseEncodingError } from './sse-frame.js';

/** Parses a whole stream with a parser nobody here wrote. */
function parse(stream: string): { events: EventSourceMessage[]; retries: number[]; comments: string[] } {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const p = createParser({
    onEvent: (e) => events.push(e),
    onRetry: (r) => retries.push(r),
    onComment: (c) => comments.push(c),
  });
  p.feed(stream);
  return { events, retries, comments };
}

describe('encodeSseFrame', () => {
  it('writes fields in a fixed order and ends with a blank line', () => {
    expect(encodeSseFrame({ id: '7', event: 'lease-added', data: '{"a":1}', retry: 3000 })).toBe(
      'retry: 3000\nid: 7\nevent: lease-added\ndata: {"a":1}\n\n',
    );
  });

  it('splits data on LF, CRLF and lone CR into several data lines', () => {
    expect(encodeSseFrame({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(parse(encodeSseFrame({ data: 'a\nb\r\nc\rd' })).events[0]?.data).toBe('a\nb\nc\nd');
  });

  it('keeps an empty payload, empty lines inside and trailing newlines', () => {
    expect(parse(encodeSseFrame({ data: '' })).events[0]?.data).toBe('');
    expect(parse(encodeSseFrame({ data: '\n' })).events[0]?.data).toBe('\n');
    expect(parse(encodeSseFrame({ data: 'a\n\nb' })).events[0]?.data).toBe('a\n\nb');
    expect(parse(encodeSseFrame({ data: 'x\n' })).events[0]?.data).toBe('x\n');
  });

  it('keeps a leading space and colons in values', () => {
    const e = parse(encodeSseFrame({ event: 'ns:type', data: ' indented: yes', id: ' id: 1' })).events[0];
    expect(e?.data).toBe(' indented: yes');
    expect(e?.event).toBe('ns:type');
    expect(e?.id).toBe(' id: 1');
  });

  it('carries unicode, including astral characters and U+2028/U+2029', () => {
    const data = 'héllo 🚀 \u2028 \u2029 ﻿bom';
    expect(parse(encodeSseFrame({ data, id: 'ид-1' })).events[0]).toMatchObject({ data, id: 'ид-1' });
  });

  it('writes nothing dispatchable for a frame without data', () => {
    expect(parse(encodeSseFrame({ id: '1', event: 'x' })).events).toEqual([]);
    expect(encodeSseFrame({})).toBe('\n');
  });

  it('refuses line breaks in single-line fields and NUL in ids', () => {
    expect(() => encodeSseFrame({ id: 'a\nb' })).toThrow(SseEncodingError);
    expect(() => encodeSseFrame({ id: 'a\rb' })).toThrow(SseEncodingError);
    expect(() => encodeSseFrame({ id: 'a\0b' })).toThrow(/NUL/);
    expect(() => encodeSseFrame({ event: 'a\nb' })).toThrow(SseEncodingError);
    expect(() => encodeSseFrame({ comment: 'a\nb' })).toThrow(SseEncodingError);
    expect(() => encodeSseFrame({ retry: -1 })).toThrow(/non-negative safe integer/);
    expect(() => encodeSseFrame({ retry: 1.5 })).toThrow(SseEncodingError);
    expect(isValidSseId('ok id')).toBe(true);
    expect(isValidSseId('bad\0')).toBe(false);
  });

  it('sends retry and comments that parsers recognise', () => {
    const r = parse(encodeSseFrame({ retry: 2500 }) + encodeSseComment('keep-alive'));
    expect(r.retries).toEqual([2500]);
    expect(r.comments.map((c) => c.trim())).toEqual(['keep-alive']);
  });

  it('round-trips any data, id and type through a WHATWG parser (property)', () => {
    const noBreak = fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n\0]/.test(s));
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        noBreak,
        noBreak.filter((s) => s.length > 0),
        (data, id, event) => {
          const out = parse(encodeSseFrame({ id, event, data }));
          expect(out.events).toHaveLength(1);
          expect(out.events[0]?.id).toBe(id);
          expect(out.events[0]?.event).toBe(event);
          expect(out.events[0]?.data).toBe(data.replace(/\r\n|\r/g, '\n'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips a stream of frames however it is chunked (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 17 }),
        (datas, chunk) => {
          const stream = datas.map((d, i) => encodeSseFrame({ id: String(i), data: d })).join('');
          const events: EventSourceMessage[] = [];
          const p = createParser({ onEvent: (e) => events.push(e) });
          for (let i = 0; i < stream.length; i += chunk) p.feed(stream.slice(i, i + chunk));
          expect(events.map((e) => e.data)).toEqual(datas.map((d) => d.replace(/\r\n|\r/g, '\n')));
        },
      ),
      { numRuns: 300 },
    );
  });
});
